"""Arbiter's analysis service: answer synthesis with numbered citations and reflection
(data analysis arrives with the Text2SQL issue)."""
