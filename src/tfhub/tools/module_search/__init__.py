"""`module_search`: ranks image feature-vector modules for a labelled image dataset by the
leave-one-out 1-nearest-neighbour error of their embeddings (upstream's WIP tool of that name).

Modules:
    lib: datasets (a local class-folder tree, or tensorflow_datasets names), embeddings and
        the leave-one-out 1-NN error, the ranking.
    cli: the command line (`tfhub-module-search`, `tfhub module-search`).
    search: upstream's absl program module (`FLAGS`, `main(argv)`, `compute_score`).
    utils: upstream's distance matrices, k-NN error rates and loaders.
"""
