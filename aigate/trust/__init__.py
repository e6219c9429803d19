"""Keys and signatures: what approvals and attestations rest on."""
