#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// The initiation agent's prompt: the task, the sandboxed script language, the names a script must
/// assign, and every constant it may read, the process constants Miller measured on the model library
/// included (K', Vth, λ, gm/Id), so the LLM writes equations instead of doing arithmetic.
public enum InitiationPrompt {
    public static func system(topology: Topology) -> String {
        let roles = topology == .structure1
            ? "NMOS input pair M1/M2, PMOS mirror load M3/M4, NMOS tail M5, PMOS second stage M6, NMOS current sink M7, NMOS bias diode M11 (M5 and M7 mirror it)"
            : "NMOS input pair M1/M2 with PMOS diode loads M14/M15 mirrored 1:2 by M16/M17, NMOS mirror M3/M4 giving the first-stage output, NMOS tail M5, NMOS second stage M6 (same current density as M4), PMOS current source M7 (mirrored through M18/M19), NMOS bias diode M11 (M5 and M18 mirror it)"
        return """
            You write initial sizing equations for a two-stage Miller op-amp: \(roles); Miller capacitor Cc in series with Rz; an ideal bias current Ibias into M11.
            Write a sizing script: one assignment per line, name = expression. Operators + - * / ^ and parentheses; functions sqrt ln exp abs min max; # starts a comment. No other statements.
            Assign every one of: \(InitiationAgent.outputs.joined(separator: ", ")) (W and L in um, cc in pF, rz in kOhm, ibias in uA). Optional: nf1, nf3, nf5, nf6, nf7, nf11 (fingers).
            Use the given constants by name; do not invent numbers for them. Answer with the script only.
            """
    }

    /// The dynamic part: the spec's figures and the process constants, each with its script name.
    public static func user(spec: SizingSpec, process: ProcessConstants?, previousError: String? = nil) -> String {
        let constants = InitiationAgent.constants(spec, process: process?.scriptConstants ?? [:])
        let specNames = ["vdd", "vcm", "cl_pf", "sr_min", "gbw_min", "pm_min", "gain_min", "idc_max"]
        var s = "Spec constants: " + specNames.compactMap { n in constants[n].map { "\(n) = \(spiceNumber($0))" } }.joined(separator: ", ")
        s += String(printf: "\nLimits: L %g to %g um, W per finger %g to %g um, cc %g to %g pF, rz %g to %g kOhm, ibias %g to %g uA",
                    spec.limits.lUM.min, spec.limits.lUM.max, spec.limits.wUM.min, spec.limits.wUM.max, spec.limits.ccPF.min,
                    spec.limits.ccPF.max, spec.limits.rzKOhm.min, spec.limits.rzKOhm.max, spec.limits.ibiasUA.min, spec.limits.ibiasUA.max)
        if let process { s += "\n" + process.promptText }
        s += "\nFirst-order relations: Id = kp/2 * W/L * (Vgs - vth)^2 in strong inversion; gm = gmid * Id; rising slew ~ I5/Cc; GBW ~ gm1/(2*pi*Cc); second pole ~ gm6/CL."
        if let previousError { s += "\nYour previous script was rejected: \(previousError). Fix it." }
        return s
    }
}
