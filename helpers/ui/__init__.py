"""The course's ipywidgets, one module per concern (every chapter's panels live here).

Importing ``helpers.ui`` imports nothing else: pick the module you need. Lower
layers (data, models, metrics, the CLI) never import this package at import
time. The one exception: :func:`helpers.training.fit` imports
:class:`helpers.ui.progress.LiveProgress` lazily, inside the function, when a
training asks for a progress line; it is silent outside a notebook.

* ``ui.images`` (all chapters): :func:`~helpers.ui.images.to_png`, the one images-to-PNG
  encoder, and :func:`~helpers.ui.images.mosaic_png`, a strip or mosaic of images as one PNG.
* ``ui.panel`` (chapters 02-05): :class:`~helpers.ui.panel.TrainPanel`, controls + a Train
  button + a one-line status + an output area; the base of every "train on click" panel.
* ``ui.browse`` (chapters 00, 01): ``DigitBrowser``, ``ClassComparison``.
* ``ui.augmentation`` (chapter 02): ``AugmentationPanel``.
* ``ui.latent`` (chapters 03, 04): ``LatentExplorer``, ``ReconstructionPicker``,
  ``RetrainPanel`` (a ``TrainPanel``).
* ``ui.gan`` (chapter 05): ``TrainAndWatch`` (a ``TrainPanel``), ``LatentWalk``, ``ClassPicker``.
* ``ui.metrics`` (chapter 06): ``MetricsExplorer``, ``pairs_mosaic``.
* ``ui.postprocess`` (chapter 06): ``FilterExplorer``, a threshold slider over a filter
  classifier's confidence, with the kept and rejected samples.
* ``ui.progress`` (chapters 02-05): ``LiveProgress``, the Keras callback that shows live
  training numbers (and GAN samples) in a notebook, and ``format_line``.
* ``ui.compat`` (all panels): where ipywidgets 7 (Colab) and 8 differ, e.g.
  :func:`~helpers.ui.compat.tooltip`; panels never test the ipywidgets version themselves.

Every panel follows one pattern: the object builds an ipywidgets tree
(``.widget``), keeps its state in plain attributes and has methods that drive
it, so tests and "run all" work without a browser. Images reach the browser as
PNG bytes in ``ipywidgets.Image`` (instant updates, works in JupyterLab, Colab
and VS Code alike, and tests can decode them).
"""
