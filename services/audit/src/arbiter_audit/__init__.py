"""Arbiter's audit service: the audit SOP and adversarial trial arrive with the audit
issue; until then Judge answers UNIMPLEMENTED and never gives a verdict."""
