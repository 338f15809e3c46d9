extension InitiationAgent {
    /// The expert's equations for Structure II (current-mirror first stage, B = 2, NMOS second stage):
    /// the tail from the slew spec, every other current a fixed multiple of it, M6 in M4-sized fingers
    /// at eight times M4's current (n2 then balances at M3's Vgs and the output sits near mid-rail), and
    /// M7 at eight times M18's copy of the tail current.
    public static let structure2ExpertScript = """
        # reference sizing at a 12 uA tail; M14..M19 keep the template's sizes
        cc = 0.4 * cl_pf                  # pF: pole splitting keeps gm6/CL above the crossover
        i5 = 0.3 * sr_min * cl_pf         # uA: rising slew ~ I7/(CL + Cc) with I7 = 8 * I5
        k = i5 / 12
        ibias = i5 / 4                    # the bias diode runs at a quarter of the tail
        nf1 = 2
        w1 = 8 * k
        l1 = 1
        nf3 = 2
        w3 = 5.6 * k
        l3 = 1
        nf5 = 4
        w5 = 5.6 * k
        l5 = 1
        w11 = 1.4 * k
        l11 = l5
        nf6 = 16
        w6 = 8 * w3                       # M4-sized fingers at 8 x M4's current: equal Vgs, no systematic offset
        l6 = l3
        nf7 = 16
        w7 = 80 * k
        l7 = 1
        rz = 4                            # kOhm: LHP zero above the crossover
        """
}
