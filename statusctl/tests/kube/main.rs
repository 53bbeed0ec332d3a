//! Tests of `statusctl push`, `get` and `check` against real servers.
