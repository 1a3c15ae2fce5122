"""`make_nearest_neighbour_index`: embed text with a module (Apache Beam), build an approximate
nearest-neighbour index of the embeddings, and query it (upstream's tool of the same name).

Modules:
    embedding_generator: the `generate` Beam pipeline (text lines -> TFRecords of embeddings).
    index_builder: the `build` step (TFRecords -> `ann.index` and the item mapping).
    similarity_finder: the `query` step (text -> nearest items, with distances).
    ann: the nearest-neighbour libraries behind one interface (annoy, hnswlib, faiss, usearch).
    files: the on-disk formats (safe ones by default, upstream's pickles on request).
    cli: the command line (`make_nearest_neighbour_index generate|build|e2e|query`).

Nothing here is imported by `import tfhub`; TensorFlow and Beam are imported when used.
"""
