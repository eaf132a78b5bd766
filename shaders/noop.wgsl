// A kernel that does nothing: dispatching it measures the fixed cost of one dispatch on an adapter.

override NOOP_WORKGROUP: u32 = 64u;

@compute @workgroup_size(NOOP_WORKGROUP)
fn noop() {}
