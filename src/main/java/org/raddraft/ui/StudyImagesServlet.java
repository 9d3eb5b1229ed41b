package org.raddraft.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.raddraft.dicom.DicomFormatException;
import org.raddraft.dicom.DicomPixels;
import org.raddraft.dicom.ImageRenderer;
import org.raddraft.dicom.PixelFrame;
import org.raddraft.dicom.RenderOptions;
import org.raddraft.dicom.RenderedImage;
import org.raddraft.dicom.WindowPreset;
import org.raddraft.review.AccessPolicy;
import org.raddraft.review.AuditEntry;
import org.raddraft.review.AuthFilter;
import org.raddraft.review.ImageReadAudit;
import org.raddraft.review.Principal;
import org.raddraft.review.ServletGuard;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The images of a study for the review page, read-only, behind the same authentication as /fhir and
 * its own role check ({@link ServletGuard}, first thing of every request):
 * <ul>
 *   <li>{@code GET /ui/studies/{StudyInstanceUID}/header}: JSON of the patient and the study's
 *       indication for the page's header ({@link StudyHeaderJson});</li>
 *   <li>{@code GET /ui/studies/{StudyInstanceUID}/instances}: JSON list of the study's images
 *       (SOP Instance UID, view position, rows, columns), frontal views first;</li>
 *   <li>{@code GET /ui/studies/{StudyInstanceUID}/instances/{SOPInstanceUID}/rendered}: the image as
 *       PNG (or {@code format=jpeg}) with {@code preset=default|lung|soft|bone} or
 *       {@code window=center,width} (modality units) and {@code size=N} (longest side, 0 = full
 *       resolution; default 1024), named after DICOMweb's rendered resource.</li>
 * </ul>
 * The page finds the study from the DiagnosticReport's ImagingStudy (urn:oid: identifier). Reads of
 * an existing study are audited ({@link ImageReadAudit}: one row per user, study and kind of read per
 * 15 minutes, not one per window change), with the outcome: 0 shown, 4 no such image in the study,
 * 8 the file cannot be rendered. A study that does not exist shows nothing and is not audited.
 */
public final class StudyImagesServlet extends HttpServlet {

    private static final Logger log = LoggerFactory.getLogger(StudyImagesServlet.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PATH = Pattern.compile("/([0-9.]{1,64})/instances(?:/([0-9.]{1,64})/rendered)?");
    /** {@code /{StudyInstanceUID}/header}: whose study it is and why it was done ({@link StudyHeaderJson}). */
    private static final Pattern HEADER = Pattern.compile("/([0-9.]{1,64})/header");
    static final int DEFAULT_SIZE = 1024;
    /** Decoded frames kept while a reviewer tries windows and zoom (a 2k x 2k frame is 16 MiB). */
    private static final int CACHED_FRAMES = 6;

    private final transient Database db;
    private final Path spool;
    private final transient ImageReadAudit audit;
    private final transient ServletGuard guard;
    private final transient Map<String, PixelFrame> frames = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, PixelFrame> eldest) {
            return size() > CACHED_FRAMES;
        }
    };

    public StudyImagesServlet(Database db, Path spool, ImageReadAudit audit, ServletGuard guard) {
        this.db = db;
        this.spool = spool;
        this.audit = audit;
        this.guard = guard;
    }

    /** One image of the study, as the page lists it. */
    record Instance(String sopInstanceUid, String seriesInstanceUid, String viewPosition, int rows, int columns) {
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        UiServlet.securityHeaders(resp);
        resp.setHeader("Cache-Control", "private, no-store"); // patient images: not in any shared cache
        // the role again, before the path is parsed, the database asked or a pixel decoded: a caller
        // without it learns nothing, not even whether the study exists, and costs no rendering
        if (!guard.allows(req, resp, AccessPolicy.STUDY_IMAGES)) {
            return;
        }
        Matcher h = HEADER.matcher(req.getPathInfo() == null ? "" : req.getPathInfo());
        if (h.matches()) {
            try {
                header(h.group(1), req, resp);
            } catch (SQLException e) {
                throw new IOException("study header: database error", e);
            }
            return;
        }
        Matcher m = PATH.matcher(req.getPathInfo() == null ? "" : req.getPathInfo());
        if (!m.matches()) {
            resp.sendError(404, "use /ui/studies/{StudyInstanceUID}/instances[/{SOPInstanceUID}/rendered]");
            return;
        }
        try {
            if (m.group(2) == null) {
                list(m.group(1), req, resp);
            } else {
                rendered(m.group(1), m.group(2), req, resp);
            }
        } catch (IllegalArgumentException e) {
            resp.sendError(400, e.getMessage());
        } catch (SQLException e) {
            throw new IOException("study images: database error", e);
        }
    }

    private void list(String studyUid, HttpServletRequest req, HttpServletResponse resp)
            throws SQLException, IOException {
        Long studyId = studyId(studyUid);
        List<Instance> list = studyId == null ? List.of() : instances(studyUid);
        if (studyId != null) {
            audited(req, ImageReadAudit.LIST, studyId, AuditEntry.SUCCESS, null);
        }
        resp.setContentType("application/json");
        JSON.writeValue(resp.getOutputStream(), list);
    }

    /**
     * The patient and the study's indication for the review page's header, read from the study's first
     * instance; audited like the images (its own kind of read). Nothing of it is logged.
     */
    private void header(String studyUid, HttpServletRequest req, HttpServletResponse resp)
            throws SQLException, IOException {
        long studyId;
        String relative;
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT s.id, i.path FROM study s JOIN instance i ON i.study_id = s.id
                WHERE s.study_instance_uid = ? ORDER BY i.id LIMIT 1""")) {
            ps.setString(1, studyUid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    resp.sendError(404, "no study " + studyUid);
                    return;
                }
                studyId = rs.getLong(1);
                relative = rs.getString(2);
            }
        }
        org.raddraft.dicom.StudyHeader header;
        try {
            header = org.raddraft.dicom.StudyHeader.read(spool.resolve(relative));
        } catch (DicomFormatException e) {
            log.warn("review page: cannot read the header of study {} (its first instance)", studyId);
            audited(req, ImageReadAudit.HEADER, studyId, AuditEntry.SERIOUS_FAILURE, "the study's header cannot be read");
            resp.sendError(422, "the study's header cannot be read");
            return;
        }
        audited(req, ImageReadAudit.HEADER, studyId, AuditEntry.SUCCESS, null);
        resp.setContentType("application/json");
        JSON.writeValue(resp.getOutputStream(), StudyHeaderJson.of(header));
    }

    /** The audit row (when due) before anything is sent: a failed write fails the request. */
    private void audited(HttpServletRequest req, String action, long studyId, String outcome, String detail)
            throws SQLException {
        Principal p = (Principal) req.getAttribute(AuthFilter.PRINCIPAL);
        if (p == null) {
            throw new IllegalStateException("study images without an authenticated principal: AuthFilter is not in front");
        }
        audit.read(p, req.getHeader("X-Acting-For"), req.getRemoteAddr(), action, studyId, outcome, detail);
    }

    private Long studyId(String studyUid) throws SQLException {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement("SELECT id FROM study WHERE study_instance_uid = ?")) {
            ps.setString(1, studyUid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    List<Instance> instances(String studyUid) throws SQLException {
        List<Instance> out = new ArrayList<>();
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement("""
                     SELECT i.sop_instance_uid, i.series_instance_uid, i.view_position, i.rows_count, i.columns_count
                     FROM instance i JOIN study s ON s.id = i.study_id WHERE s.study_instance_uid = ?
                     ORDER BY CASE WHEN i.view_position IN ('PA', 'AP') THEN 0 ELSE 1 END, i.received_at, i.id""")) {
            ps.setString(1, studyUid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Instance(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getInt(5)));
                }
            }
        }
        return out;
    }

    private void rendered(String studyUid, String sopUid, HttpServletRequest req, HttpServletResponse resp)
            throws SQLException, IOException {
        RenderOptions options = options(req);
        Long studyId = studyId(studyUid);
        String relative = studyId == null ? null : spooledPath(studyId, sopUid);
        if (relative == null) {
            if (studyId != null) {
                audited(req, ImageReadAudit.IMAGE, studyId, AuditEntry.MINOR_FAILURE, "no such image in the study");
            }
            resp.sendError(404, "no image " + sopUid + " in study " + studyUid);
            return;
        }
        PixelFrame frame;
        try {
            frame = frame(relative);
        } catch (DicomFormatException e) {
            log.warn("review page: cannot render sop={}: {}", sopUid, e.getMessage());
            audited(req, ImageReadAudit.IMAGE, studyId, AuditEntry.SERIOUS_FAILURE, "the image cannot be rendered");
            resp.sendError(422, "this image cannot be rendered: " + e.getMessage());
            return;
        }
        RenderedImage img = ImageRenderer.render(frame, options);
        audited(req, ImageReadAudit.IMAGE, studyId, AuditEntry.SUCCESS, null);
        resp.setContentType(img.mediaType());
        resp.setHeader("X-Window", img.center() + "," + img.windowWidth() + "," + img.windowSource());
        resp.setContentLength(img.bytes().length);
        resp.getOutputStream().write(img.bytes());
    }

    private String spooledPath(long studyId, String sopUid) throws SQLException {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT path FROM instance WHERE study_id = ? AND sop_instance_uid = ?")) {
            ps.setLong(1, studyId);
            ps.setString(2, sopUid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private PixelFrame frame(String relative) throws DicomFormatException {
        synchronized (frames) {
            PixelFrame f = frames.get(relative);
            if (f != null) {
                return f;
            }
        }
        PixelFrame f = DicomPixels.decode(spool.resolve(relative));
        synchronized (frames) {
            frames.put(relative, f);
        }
        return f;
    }

    /** The query parameters, checked: a wrong one is a 400 saying what to write instead. */
    static RenderOptions options(HttpServletRequest req) {
        WindowPreset preset = req.getParameter("preset") == null ? WindowPreset.DEFAULT
                : WindowPreset.of(req.getParameter("preset"));
        Double center = null;
        Double width = null;
        String window = req.getParameter("window");
        if (window != null) {
            String[] cw = window.split(",");
            try {
                center = Double.parseDouble(cw[0]);
                width = Double.parseDouble(cw.length > 1 ? cw[1] : "");
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("window must be center,width in modality units, e.g. window=2048,4096");
            }
        }
        int size = DEFAULT_SIZE;
        if (req.getParameter("size") != null) {
            try {
                size = Integer.parseInt(req.getParameter("size"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("size must be the longest side in pixels (0 = full resolution)");
            }
        }
        String format = req.getParameter("format");
        RenderOptions.Format f;
        if (format == null || format.equals("png")) {
            f = RenderOptions.Format.PNG;
        } else if (format.equals("jpeg")) {
            f = RenderOptions.Format.JPEG;
        } else {
            throw new IllegalArgumentException("format must be png or jpeg");
        }
        return new RenderOptions(preset, center, width, size, f);
    }
}
