//! Flattened device tree (DTB) reader.
