package org.raddraft.flags;

import java.util.List;

/**
 * The flags of one draft and what follows from them.
 *
 * @param flags       the flags raised, most severe first
 * @param riskScore   0..1: the calibrated probability that the draft has a wrong finding
 * @param priority    worklist priority: {@link #CRITICAL} (a critical finding stated), {@link #FLAGGED} (any other flag)
 *                    or {@link #ROUTINE}
 * @param unavailable flag codes this model cannot compute (e.g. CLASSIFIER_DISAGREES without a classifier)
 */
public record Assessment(List<Flag> flags, double riskScore, int priority, List<FlagCode> unavailable) {

    public static final int CRITICAL = 2;
    public static final int FLAGGED = 1;
    public static final int ROUTINE = 0;

    public Assessment {
        flags = List.copyOf(flags);
        unavailable = List.copyOf(unavailable);
    }

    /**
     * True when a flag casts doubt on the draft: any flag but CRITICAL_FINDING, which says how urgent
     * the stated finding is, not how far to trust it. This is what "flagged" means in the figures.
     */
    public boolean doubtful() {
        return flags.stream().anyMatch(f -> f.code() != FlagCode.CRITICAL_FINDING);
    }

    public boolean has(FlagCode code) {
        return flags.stream().anyMatch(f -> f.code() == code);
    }
}
