//! The panic handler: message and location on the console, then a failure
//! exit.

use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    crate::console::emergency_print(format_args!("\n*** kernel panic: {}", info.message()));
    if let Some(location) = info.location() {
        crate::console::emergency_print(format_args!(
            " at {}:{}:{}",
            location.file(),
            location.line(),
            location.column()
        ));
    }
    crate::console::emergency_print(format_args!("\n"));
    crate::power::exit_failure("panic")
}
