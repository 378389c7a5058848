"""Course models: Keras 3 ``keras.Model`` subclasses with custom ``train_step``s."""
