import Spice
import Infer

/// The multi-stage op-amp sizing loop (planning, initiation, simulation, optimization, resizing).
public enum Agents {}
