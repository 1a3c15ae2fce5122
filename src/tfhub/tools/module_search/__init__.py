"""`module_search`: ranks image feature-vector modules for a labelled image dataset by the
leave-one-out 1-nearest-neighbour error of their embeddings (upstream's WIP tool of that name).

Modules:
    lib: the leave-one-out 1-NN error and the ranking; the names of the modules below.
    dataset_spec: the `--dataset` value (`NAME[#N]`).
    datasets: the labelled images (a local class-folder tree, or tensorflow_datasets names).
    embedding: a module's feature vectors of them, and the memory checks before.
    module_list: `--module_list`, module handles read from a file.
    cli: the command line (`tfhub-module-search`, `tfhub module-search`).
    search: upstream's absl program module (`FLAGS`, `main(argv)`, `compute_score`).
    utils: upstream's distance matrices, k-NN error rates and loaders.
"""
