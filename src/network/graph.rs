//! petgraph view of the network, for export and structure checks.
