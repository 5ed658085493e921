"""The verification hierarchy: L0 contract, L1 properties, L3 rollouts (L2, L4 to come)."""
