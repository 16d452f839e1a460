//! Granule: the bare-metal AArch64 unikernel.
#![no_std]
