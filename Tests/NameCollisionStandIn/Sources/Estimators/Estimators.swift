/// Identifies this stand-in module at run time.
public let moduleName = "Estimators"
