package org.raddraft.inference;

import java.nio.file.Path;

/**
 * The views of one study chosen for drafting: a frontal (PA, else AP) Part 10 file and, when the
 * study has one, a lateral. {@code studyId} is the internal id, used in logs instead of patient data.
 */
public record StudyImages(long studyId, Path frontal, Path lateral) {
}
