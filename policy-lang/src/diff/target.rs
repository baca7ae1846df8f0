//! Backends: what each kernel would enforce of a diff or a decision, from fidelity reports.
