"""The course's ipywidgets, one module per concern (every chapter's panels live here).

Importing ``helpers.ui`` imports nothing else: pick the module you need. Lower
layers (data, models, metrics, the CLI) never import this package at import
time; the one exception is the models' training functions, which import
:class:`helpers.ui.progress.LiveProgress` lazily, inside the function.

=======================  ====================================================  ========
module                   what it holds                                         chapters
=======================  ====================================================  ========
``ui.images``            :func:`to_png` (the one images-to-PNG encoder) and    all
                         :func:`mosaic_png` (a strip / mosaic of images)
``ui.panel``             :class:`TrainPanel`: controls, a Train button, a      02-05
                         status line, an output area; the base of every
                         "train on click" panel
``ui.browse``            :class:`DigitBrowser`, :class:`ClassComparison`       00, 01
``ui.augmentation``      :class:`AugmentationPanel`                            02
``ui.latent``            :class:`LatentExplorer`, :class:`ReconstructionPicker`,  03, 04
                         :class:`RetrainPanel` (a :class:`TrainPanel`)
``ui.gan``               :class:`TrainAndWatch` (a :class:`TrainPanel`),       05
                         :class:`LatentWalk`, :class:`ClassPicker`
``ui.metrics``           :class:`MetricsExplorer`, :func:`pairs_mosaic`        06
``ui.progress``          :class:`LiveProgress` (a Keras callback), ``format_line``  02-05
=======================  ====================================================  ========

Every panel follows one pattern: the object builds an ipywidgets tree
(``.widget``), keeps its state in plain attributes and has methods that drive
it, so tests and "run all" work without a browser. Images reach the browser as
PNG bytes in ``ipywidgets.Image`` (instant updates, works in JupyterLab, Colab
and VS Code alike, and tests can decode them).
"""
