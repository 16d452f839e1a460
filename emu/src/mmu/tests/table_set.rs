//! The owning table set: freed on drop, live only while active.

use super::arena::Arena;
use crate::addr::PhysAddr;
use crate::granule::Granule;
use crate::mmu::attrs::Stage1Attributes;
use crate::mmu::builder::MapError;
use crate::mmu::config::TableConfig;
use crate::mmu::memory::TableMemory;
use crate::mmu::TableSet;
use std::cell::Cell;
use std::rc::Rc;

/// A table set frees every table when dropped, and never while the
/// hardware may still walk it; activation makes the builder keep to
/// break-before-make.
#[test]
fn table_set_frees_on_drop_and_is_live_only_while_active() {
    // An arena whose allocation count is visible after the set owns it.
    struct Counted(Arena, Rc<Cell<usize>>);
    impl TableMemory for Counted {
        fn allocate_table(&mut self, bytes: usize) -> Option<PhysAddr> {
            self.1.set(self.1.get() + 1);
            self.0.allocate_table(bytes)
        }
        fn free_table(&mut self, table: PhysAddr, bytes: usize) {
            self.1.set(self.1.get() - 1);
            self.0.free_table(table, bytes)
        }
        fn read_descriptor(&self, address: PhysAddr) -> u64 {
            self.0.read_descriptor(address)
        }
        fn write_descriptor(&mut self, address: PhysAddr, value: u64) {
            self.0.write_descriptor(address, value)
        }
    }
    let config = TableConfig::stage1(Granule::K4, 39, 40).unwrap();
    let attrs = Stage1Attributes::kernel_data(0);
    let live_tables = Rc::new(Cell::new(0));
    {
        let mut set = TableSet::new(config, Counted(Arena::new(), live_tables.clone())).unwrap();
        set.map(0x20_0000, PhysAddr(0x4000_0000), 0x1000, attrs)
            .unwrap();
        assert!(live_tables.get() > 1);
        let mut installed = None;
        set.activate(|root| installed = Some(root));
        assert_eq!(installed, Some(set.root()));
        assert!(set.is_live());
        // Live: replacing a valid mapping needs break-before-make.
        assert!(matches!(
            set.remap(0x20_0000, PhysAddr(0x5000_0000), 0x1000, attrs),
            Err(MapError::BreakBeforeMake { .. })
        ));
        let mut removed = false;
        set.deactivate(|| removed = true);
        assert!(removed && !set.is_live());
        set.remap(0x20_0000, PhysAddr(0x5000_0000), 0x1000, attrs)
            .unwrap();
    }
    assert_eq!(live_tables.get(), 0, "dropping the set frees every table");
    {
        let mut set = TableSet::new(config, Counted(Arena::new(), live_tables.clone())).unwrap();
        set.map(0x20_0000, PhysAddr(0x4000_0000), 0x1000, attrs)
            .unwrap();
        set.activate(|_| {});
    }
    assert!(live_tables.get() > 0, "a live set's tables are never freed");
}
