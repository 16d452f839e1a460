//! Stage-1 access permissions of the EL1&0 (PL1&0) regime from AP, UXN/XN,
//! PXN, the hierarchical table bits and SCTLR.WXN (ARM ARM D8.4).

use super::descriptor::{AP_EL0, AP_RO, PXN, UXN};
use super::translation::{Permissions, Rwx};
use super::walk::TableAttributes;

/// The rules that differ between VMSAv8-64 and the AArch32 long-descriptor
/// format.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PermissionRules {
    /// SCTLR.WXN: writable memory is execute-never at the same EL.
    pub wxn: bool,
    /// EL0-writable memory is never executable at EL1: always so in the
    /// AArch64 EL1&0 regime, under SCTLR.UWXN in AArch32.
    pub el0_writable_implies_pxn: bool,
    /// The descriptor's bit 54 (and XNTable) forbid execution at EL1 too:
    /// true for the AArch32 XN bit, false for AArch64's UXN.
    pub xn_applies_to_el1: bool,
}

/// The permissions of a leaf descriptor `d` reached through `tables`.
pub(crate) fn stage1_permissions(
    d: u64,
    tables: TableAttributes,
    rules: PermissionRules,
) -> Permissions {
    // APTable[1] forces AP[2] (read-only); APTable[0] forces AP[1] to 0 (no
    // EL0 access); XNTable/PXNTable force the leaf's bits.
    let read_only = d & AP_RO != 0 || tables.read_only;
    let el0_access = d & AP_EL0 != 0 && !tables.no_el0;
    let xn = d & UXN != 0 || tables.xn;
    let pxn = d & PXN != 0 || tables.pxn;
    let mut el0 = Rwx {
        read: el0_access,
        write: el0_access && !read_only,
        execute: !xn,
    };
    let mut el1 = Rwx {
        read: true,
        write: !read_only,
        execute: !(pxn || (rules.xn_applies_to_el1 && xn)),
    };
    if rules.el0_writable_implies_pxn && el0.write {
        el1.execute = false;
    }
    if rules.wxn {
        el0.execute &= !el0.write;
        el1.execute &= !el1.write;
    }
    Permissions {
        el0,
        el1,
        el0_accessible: el0_access,
    }
}
