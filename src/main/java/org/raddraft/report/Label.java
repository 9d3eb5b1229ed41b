package org.raddraft.report;

/**
 * The labeller's verdict for one observation in one report.
 *
 * @param observation the observation
 * @param status      final status after section precedence and the No Finding rule
 * @param laterality  merged side of the mentions that decided the status (UNSTATED if none stated)
 * @param severity    the largest severity word among those mentions (UNSTATED if none)
 */
public record Label(Observation observation, Status status, Laterality laterality, Severity severity) {

    static Label notMentioned(Observation o) {
        return new Label(o, Status.NOT_MENTIONED, Laterality.UNSTATED, Severity.UNSTATED);
    }
}
