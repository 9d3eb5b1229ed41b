package org.raddraft.review;

/**
 * Who does an action: the authenticated account, the radiologist it acts for (integration
 * accounts must name one; for a radiologist it is themselves) and where the request came from.
 *
 * @param actingFor null for admins and for requests that need no radiologist (searches by an integration account)
 */
public record Actor(Principal principal, Users.User actingFor, String sourceIp) {

    /** The command-line admin: the operating-system user who ran {@code raddraft admin}. */
    public static Actor commandLine() {
        return new Actor(new Principal(0, "cli:" + System.getProperty("user.name"), Role.ADMIN, "cli"), null, "local");
    }

    /** The radiologist a decision is recorded under. */
    Users.User reviewer() {
        return actingFor;
    }

    /** app_user.id of the account, or null for the command line (it has no row). */
    Long userId() {
        return principal.userId() == 0 ? null : principal.userId();
    }
}
