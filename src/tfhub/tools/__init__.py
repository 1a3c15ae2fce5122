"""Command-line tools built on tfhub (upstream's `tensorflow_hub.tools`).

- `make_image_classifier`: trains an image classifier on top of an image feature-vector module.
- `make_nearest_neighbour_index`: embeds text with a module and builds a nearest-neighbour index.
- `module_search`: ranks image feature-vector modules for a labelled image dataset.
- `image_folders` (listing), `image_decoding` (all at once), `image_store` (on first use, kept),
  `host_memory` (will it fit) and `image_modules` (module checks): what both image tools use.
- `atomic_output`: the tools' output files and folders, written complete or not at all.
- `absl_argv`: command lines as upstream's absl flags took them (`-image_dir=x`).

Each tool keeps its library apart from its command line; nothing here imports TensorFlow.
"""
