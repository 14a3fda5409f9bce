//! Channel transactions in the LN-Symmetry layout. No I/O.
