"""What a check leaves behind: reports, the disclosure register, attestations, and the
atomic writes they go through."""
