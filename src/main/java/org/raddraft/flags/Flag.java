package org.raddraft.flags;

/**
 * One confidence flag on a draft: what a radiologist should look at before trusting it.
 *
 * @param code     what kind of doubt, see {@link FlagCode}
 * @param finding  the observation it concerns (its CheXpert name, e.g. "Pneumothorax"), or null for the whole draft
 * @param severity 0..1: clinical relevance weight of the finding x strength of the signal
 * @param signal   the measured value behind the flag (e.g. mean token log-probability, likelihood drop,
 *                 classifier probability, feature distance), in the unit the detail names
 * @param detail   a plain-language explanation for the reviewer, no patient data
 */
public record Flag(FlagCode code, String finding, double severity, double signal, String detail) {

    public Flag {
        if (code == null) {
            throw new IllegalArgumentException("flag code is required");
        }
        if (!(severity >= 0 && severity <= 1)) {
            throw new IllegalArgumentException("flag severity must be in 0..1, got " + severity);
        }
        if (detail == null || detail.isBlank()) {
            throw new IllegalArgumentException("flag " + code + " needs a detail for the reviewer");
        }
    }
}
