"""The passage store: the `VectorStore` interface with its chunk-id and displayed-text
rules, the Milvus adapter, its schema, the filter compiler and the BM25 query text."""
