"""Text2SQL for the findings database: the offline provider's honest semantic parser,
from a compliance officer's question to one PostgreSQL query over schema `findings`."""

from arbiter_analysis.text2sql.translate import CAN_ANSWER, Translation, Unmapped, translate

__all__ = ["CAN_ANSWER", "Translation", "Unmapped", "translate"]
