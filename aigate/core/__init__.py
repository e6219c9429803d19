"""The engine: media and provenance, the policy and its rules, approvals, the stage, the
plugin manager and its hook specifications, and the gate that runs them on a subject."""
