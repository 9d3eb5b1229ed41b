package org.raddraft.ui;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.raddraft.ops.ModelListing;
import org.raddraft.ops.ReviewMonitor;
import org.raddraft.review.AccessPolicy;
import org.raddraft.review.ServletGuard;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /ui/admin/monitoring}: the review monitoring page for admins ({@link AccessPolicy#ADMIN_PAGES},
 * checked on the routed path by the AuthFilter and again here by the {@link ServletGuard}). Server-rendered HTML without script: the models with their
 * agreement figures, the subgroup alerts, and the figures overall, by week, by subgroup and by finding.
 * It shows group names (bands, manufacturers, calling AEs) and counts, never a patient or study.
 */
public final class MonitoringPage extends HttpServlet {

    private static final Logger log = LoggerFactory.getLogger(MonitoringPage.class);

    private final transient Database db;
    private final transient ReviewMonitor monitor;
    private final transient ServletGuard guard;

    public MonitoringPage(Database db, ReviewMonitor monitor, ServletGuard guard) {
        this.db = db;
        this.monitor = monitor;
        this.guard = guard;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        UiServlet.securityHeaders(resp);
        if (!guard.allows(req, resp, AccessPolicy.ADMIN_PAGES)) {
            return; // refused (401/403) and audited before anything is read
        }
        if (!"/monitoring".equals(req.getPathInfo())) {
            resp.sendError(HttpServletResponse.SC_NOT_FOUND, "no such admin page; see /ui/admin/monitoring");
            return;
        }
        String html;
        try {
            html = render(monitor.snapshot(), ModelListing.models(db), monitor.config());
        } catch (SQLException e) {
            log.warn("monitoring page: database error (SQLState {})", e.getSQLState());
            resp.sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE, "database unavailable; try again");
            return;
        }
        byte[] body = html.getBytes(StandardCharsets.UTF_8);
        resp.setContentType("text/html; charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    static String render(ReviewMonitor.Snapshot s, List<ModelListing.ModelRow> models, ReviewMonitor.Config c) {
        StringBuilder h = new StringBuilder("""
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>RadDraft review monitoring</title>
                <link rel="stylesheet" href="../app.css"></head><body><main>
                <h1>Review monitoring</h1>
                """);
        h.append("<p>Decisions of the last ").append(c.windowDays()).append(" days on the drafts radiologists were shown. "
                + "Label agreement: label F1 of the draft with the final report (a rejection counts 0). Alert margin ")
                .append(fmt(c.margin())).append(", at least ").append(c.minCount()).append(" decisions each side.</p>\n");
        h.append("<h2>Models</h2>\n<table><tr><th>model</th><th>version</th><th>slot</th><th>drafts shown</th>"
                + "<th>shadow drafts</th><th>compared</th><th>label F1</th><th>edit distance</th><th>critical errors</th>"
                + "<th>acceptance</th><th>load error</th></tr>\n");
        for (ModelListing.ModelRow m : models) {
            h.append("<tr><td>").append(esc(m.name())).append("</td><td>").append(esc(m.version())).append("</td><td>")
                    .append(esc(m.slot())).append("</td><td>").append(m.drafts()).append("</td><td>")
                    .append(m.shadow_drafts()).append("</td><td>").append(m.compared()).append("</td><td>")
                    .append(fmt(m.label_f1())).append("</td><td>").append(fmt(m.edit_distance())).append("</td><td>")
                    .append(m.critical_errors() == null ? "" : m.critical_errors()).append("</td><td>")
                    .append(fmt(m.acceptance())).append("</td><td>").append(esc(m.load_error())).append("</td></tr>\n");
        }
        h.append("</table>\n<h2>Subgroup alerts</h2>\n");
        if (s.alerts().isEmpty()) {
            h.append("<p id=\"no-alerts\">No subgroup is below the rest by more than the margin.</p>\n");
        } else {
            h.append("<ul id=\"alerts\">\n");
            for (ReviewMonitor.Alert a : s.alerts()) {
                h.append("<li>").append(esc(a.describe(c))).append("</li>\n");
            }
            h.append("</ul>\n");
        }
        h.append("<h2>Overall</h2>\n");
        table(h, List.of(s.overall()));
        h.append("<h2>By week</h2>\n");
        table(h, s.byWeek());
        for (Map.Entry<String, List<ReviewMonitor.Figures>> d : s.byDimension().entrySet()) {
            h.append("<h2>By ").append(esc(d.getKey().replace('_', ' '))).append("</h2>\n");
            table(h, d.getValue());
        }
        h.append("<h2>Disagreement per finding</h2>\n<table><tr><th>finding</th><th>share of approved drafts</th></tr>\n");
        for (Map.Entry<String, Double> f : s.findingDisagreement().entrySet()) {
            h.append("<tr><td>").append(esc(f.getKey())).append("</td><td>").append(fmt(f.getValue())).append("</td></tr>\n");
        }
        return h.append("</table>\n</main></body></html>\n").toString();
    }

    private static void table(StringBuilder h, List<ReviewMonitor.Figures> rows) {
        h.append("<table><tr><th>group</th><th>decisions</th><th>acceptance</th><th>edit distance</th>"
                + "<th>label agreement</th><th>flagged</th><th>flag precision</th></tr>\n");
        for (ReviewMonitor.Figures f : rows) {
            h.append("<tr><td>").append(esc(f.group())).append("</td><td>").append(f.decisions()).append("</td><td>")
                    .append(fmt(f.acceptance())).append("</td><td>").append(fmt(f.editDistance())).append("</td><td>")
                    .append(fmt(f.agreement())).append("</td><td>").append(f.flagged()).append("</td><td>")
                    .append(fmt(f.flagPrecision())).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static String fmt(Double d) {
        return d == null ? "" : String.format(Locale.ROOT, "%.3f", d);
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;");
    }
}
