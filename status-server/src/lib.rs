//! placeholder
pub fn placeholder() {}
