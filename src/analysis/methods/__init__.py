"""Methods: measures, IKM, the econometric models and the peers analysis."""
