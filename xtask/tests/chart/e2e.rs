//! End to end without a cluster (placeholder until status-server lands).
