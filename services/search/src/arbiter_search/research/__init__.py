"""The research loop: retrieval, field selection, reranking, the sufficiency check and the
next round's strategy, with the prompts and schemas of its model-backed steps."""
