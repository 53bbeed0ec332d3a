//! A fake Kubernetes API server (placeholder; its issue fills it in).
