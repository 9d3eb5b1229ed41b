package org.raddraft.review;

import ca.uhn.fhir.rest.annotation.Count;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.StringParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.sql.SQLException;
import java.util.Date;
import java.util.List;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.raddraft.store.Database;

/**
 * {@code /fhir/AuditEvent}: the audit trail as FHIR R4 AuditEvents, for admins. Searches: {@code date}
 * (ge/lt), {@code agent-name} (account), {@code entity} (e.g. DiagnosticReport/12), {@code subtype}
 * (RadDraft's action: read, search-type, approve, reject, login-failure, user-add, study-image,
 * study-instances ...), {@code _count}. Image reads of the review page are DICOM 110103 "DICOM
 * Instances Accessed", with the study's internal id (see {@link ImageReadAudit} for how often).
 */
public final class AuditEventProvider implements IResourceProvider {

    /** RadDraft's action names (the audit_event.action column) as AuditEvent.subtype. */
    public static final String ACTION_SYSTEM = "urn:raddraft:audit-action";
    static final String USER_SYSTEM = "urn:raddraft:user";
    static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
    static final int MAX_COUNT = 1000;

    private final Database db;

    public AuditEventProvider(Database db) {
        this.db = db;
    }

    @Override
    public Class<AuditEvent> getResourceType() {
        return AuditEvent.class;
    }

    @Read
    public AuditEvent read(@IdParam IdType id) throws SQLException {
        if (!id.isIdPartValidLong()) {
            throw new ResourceNotFoundException("no AuditEvent/" + id.getIdPart() + " (AuditEvent ids are numbers)");
        }
        AuditLog.Event e = AuditLog.byId(db, id.getIdPartAsLong());
        if (e == null) {
            throw new ResourceNotFoundException("no AuditEvent/" + id.getIdPart());
        }
        return map(e);
    }

    @Search
    public List<AuditEvent> search(@OptionalParam(name = AuditEvent.SP_DATE) DateRangeParam date,
            @OptionalParam(name = AuditEvent.SP_AGENT_NAME) StringParam agentName,
            @OptionalParam(name = AuditEvent.SP_ENTITY) ReferenceParam entity,
            @OptionalParam(name = AuditEvent.SP_SUBTYPE) TokenParam subtype,
            @Count Integer count) throws SQLException {
        Long draftId = null;
        if (entity != null) {
            if (!"DiagnosticReport".equals(entity.getResourceType()) || !entity.getIdPart().chars().allMatch(Character::isDigit)) {
                throw new InvalidRequestException("entity must be DiagnosticReport/<id>, e.g. entity=DiagnosticReport/12");
            }
            draftId = Long.parseLong(entity.getIdPart());
        }
        Date from = date == null ? null : date.getLowerBoundAsInstant();
        Date to = date == null ? null : date.getUpperBoundAsInstant();
        int limit = count == null ? 200 : Math.max(1, Math.min(count, MAX_COUNT));
        return AuditLog.search(db, new AuditLog.Query(subtype == null ? null : subtype.getValue(),
                agentName == null ? null : agentName.getValue(), null, draftId,
                from == null ? null : from.toInstant(), to == null ? null : to.toInstant(), limit))
                .stream().map(AuditEventProvider::map).toList();
    }

    static AuditEvent map(AuditLog.Event ev) {
        AuditEntry e = ev.entry();
        AuditEvent a = new AuditEvent();
        a.setId(String.valueOf(ev.id()));
        a.setType(type(e.action()));
        a.addSubtype(new Coding(ACTION_SYSTEM, e.action(), null));
        a.setAction(action(e.action()));
        a.setRecorded(Date.from(ev.recorded()));
        a.setOutcome(AuditEvent.AuditEventOutcome.fromCode(e.outcome()));
        a.setOutcomeDesc(e.detail());
        AuditEvent.AuditEventAgentComponent who = a.addAgent().setRequestor(true);
        who.setWho(new Reference().setIdentifier(new Identifier().setSystem(USER_SYSTEM)
                .setValue(e.userName() == null ? "unknown" : e.userName())).setDisplay(e.userName()));
        if (e.role() != null) {
            who.addRole().setText(e.role());
        }
        if (e.sourceIp() != null) {
            who.getNetwork().setAddress(e.sourceIp()).setType(AuditEvent.AuditEventAgentNetworkType._2);
        }
        if (e.actingFor() != null) {
            AuditEvent.AuditEventAgentComponent rad = a.addAgent().setRequestor(false);
            rad.setWho(new Reference().setIdentifier(new Identifier().setSystem(USER_SYSTEM).setValue(e.actingFor()))
                    .setDisplay(e.actingFor()));
            rad.addRole().setText("radiologist (acted for)");
        }
        a.getSource().setObserver(new Reference().setDisplay("RadDraft")).addType(
                new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server"));
        if (e.entityType() != null) {
            AuditEvent.AuditEventEntityComponent what = a.addEntity();
            if (e.entityType().equals("DiagnosticReport") && e.entityId() != null) {
                what.setWhat(new Reference("DiagnosticReport/" + e.entityId()));
            } else {
                what.setWhat(new Reference().setDisplay(e.entityType() + (e.entityId() == null ? "" : " " + e.entityId())));
            }
            if (e.studyId() != null) {
                what.addDetail().setType("raddraft-study-id").setValue(new org.hl7.fhir.r4.model.StringType(
                        String.valueOf(e.studyId())));
            }
        }
        return a;
    }

    private static Coding type(String action) {
        if (action.startsWith("login") || action.equals("authenticate")) {
            return new Coding(DCM, "110114", "User Authentication");
        }
        if (action.startsWith("user-")) {
            return new Coding(DCM, "110137", "User Security Attributes Changed");
        }
        if (action.equals("study-files-purge") || action.equals("study-purge")) {
            return new Coding(DCM, "110105", "DICOM Study Deleted");
        }
        if (action.equals(ImageReadAudit.LIST) || action.equals(ImageReadAudit.IMAGE)
                || action.equals(ImageReadAudit.HEADER)) {
            return new Coding(DCM, "110103", "DICOM Instances Accessed");
        }
        return new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation");
    }

    private static AuditEvent.AuditEventAction action(String action) {
        return switch (action) {
            case "approve", "reject", "user-disable", "user-credential" -> AuditEvent.AuditEventAction.U;
            case "user-add" -> AuditEvent.AuditEventAction.C;
            case "study-files-purge", "study-purge" -> AuditEvent.AuditEventAction.D;
            case "read", "vread", "history-instance", "history-type", ImageReadAudit.LIST, ImageReadAudit.IMAGE,
                    ImageReadAudit.HEADER ->
                    AuditEvent.AuditEventAction.R;
            default -> AuditEvent.AuditEventAction.E;
        };
    }
}
