package org.raddraft.phantom;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Composes the reference report of a study from a small phrase grammar. Choices (wording, order,
 * which pertinent negatives) come from the study's own report stream, so reports are deterministic.
 *
 * <p>Contract with the labeller (docs/phantoms.md): every drawn finding is stated positively with its
 * laterality word (right, left, bilateral; none for the heart, mediastinum and tubes) and its severity
 * word; a negative sentence only ever names observations that are absent; the only uncertainty
 * cues ("may represent", "possibly") are attached to pneumonia, whose label is then -1.
 */
public final class ReportGrammar {

    private ReportGrammar() {
    }

    public static Report write(StudySpec spec) {
        return new Writer(spec).write();
    }

    private static final class Writer {
        final StudySpec s;
        final SplittableRandom r;

        Writer(StudySpec s) {
            this.s = s;
            this.r = new SplittableRandom(s.reportSeed());
        }

        Report write() {
            List<String> devices = new ArrayList<>(), heart = new ArrayList<>(), lungs = new ArrayList<>(),
                    pleura = new ArrayList<>(), bones = new ArrayList<>();
            for (Finding f : s.findings()) {
                switch (f.type()) {
                    case ET_TUBE, CENTRAL_LINE, PACEMAKER -> devices.add(device(f));
                    case CARDIOMEGALY -> heart.add(pick("There is " + f.severity() + " cardiomegaly.",
                            cap(f.severity()) + " cardiomegaly.",
                            "The heart is enlarged, consistent with " + f.severity() + " cardiomegaly."));
                    case WIDENED_MEDIASTINUM -> heart.add(pick(
                            "There is " + f.severity() + " widening of the upper mediastinum.",
                            cap(f.severity()) + " mediastinal widening."));
                    case CONSOLIDATION, OPACITY, NODULE, MASS, EDEMA, ATELECTASIS -> lungs.add(lung(f));
                    case PLEURAL_EFFUSION, PNEUMOTHORAX, PLEURAL_THICKENING -> pleura.add(pleural(f));
                    case RIB_FRACTURE -> bones.add(pick(
                            cap(f.severity()) + " fracture of the " + f.side().word() + " " + f.location() + ".",
                            "There is a " + f.severity() + " " + f.side().word() + " " + f.location() + " fracture."));
                    default -> { }
                }
            }
            boolean cardiomegaly = s.has(FindingType.CARDIOMEGALY), widened = s.has(FindingType.WIDENED_MEDIASTINUM);
            if (!cardiomegaly && !widened) {
                heart.add(pick("Heart size is normal.", "The cardiomediastinal silhouette is within normal limits.",
                        "Normal heart size and mediastinal contours.", "The heart and mediastinum are normal in size."));
            } else if (!cardiomegaly) {
                heart.add(pick("Heart size is normal.", "The heart is normal in size."));
            } else if (!widened && r.nextBoolean()) {
                heart.add("The mediastinal contours are normal.");
            }
            boolean airspace = s.has(FindingType.CONSOLIDATION) || s.has(FindingType.OPACITY);
            if (lungs.isEmpty()) {
                lungs.add(pick("The lungs are clear.", "The lungs are clear without focal consolidation.",
                        "No focal consolidation.", "Lungs are clear bilaterally."));
            } else if (!airspace && r.nextBoolean()) {
                lungs.add("No focal consolidation.");
            }
            boolean eff = s.has(FindingType.PLEURAL_EFFUSION), ptx = s.has(FindingType.PNEUMOTHORAX);
            if (!eff && !ptx) {
                pleura.add(pick("No pleural effusion or pneumothorax.", "No pneumothorax or pleural effusion.",
                        "There is no pleural effusion or pneumothorax."));
            } else if (!ptx) {
                pleura.add(pick("No pneumothorax.", "There is no pneumothorax."));
            } else if (!eff) {
                pleura.add(pick("No pleural effusion.", "There is no pleural effusion."));
            }
            if (bones.isEmpty() && r.nextDouble() < 0.5) {
                bones.add(pick("No acute osseous abnormality.", "No rib fracture is seen.",
                        "The osseous structures are intact."));
            }
            List<List<String>> order = switch (r.nextInt(3)) {
                case 0 -> List.of(devices, heart, lungs, pleura, bones);
                case 1 -> List.of(devices, lungs, pleura, heart, bones);
                default -> List.of(heart, lungs, pleura, devices, bones);
            };
            List<String> sentences = new ArrayList<>();
            order.forEach(sentences::addAll);
            return new Report(String.join(" ", sentences), impression());
        }

        String device(Finding f) {
            return switch (f.type()) {
                case ET_TUBE -> pick("Endotracheal tube tip is " + f.variant() + " cm above the carina.",
                        "An endotracheal tube terminates " + f.variant() + " cm above the carina.");
                case CENTRAL_LINE -> {
                    String access = switch (f.variant()) {
                        case 1 -> "left subclavian";
                        case 2 -> "right subclavian";
                        default -> "right internal jugular";
                    };
                    String tip = "the " + f.location();
                    yield pick(cap(access) + " central venous catheter with tip in " + tip + ".",
                            "A " + access + " central line terminates in " + tip + ".",
                            cap(access) + " central venous catheter tip projects over " + tip + ".");
                }
                default -> {
                    String leads = f.variant() == 2 ? "leads in the right atrium and right ventricle"
                            : "a single lead in the right ventricle";
                    yield pick(cap(f.side().word()) + "-sided pacemaker with " + leads + ".",
                            cap(f.side().word()) + " chest wall pacemaker with " + leads + ".");
                }
            };
        }

        String lung(Finding f) {
            String sev = f.severity(), lobe = f.location(), side = f.side().word();
            return switch (f.type()) {
                case CONSOLIDATION -> pick("There is " + sev + " consolidation in the " + lobe,
                        cap(sev) + " airspace consolidation in the " + lobe,
                        cap(sev) + " consolidation is present in the " + lobe) + pneumonia(f) + ".";
                case OPACITY -> pick("There is a " + sev + " patchy opacity in the " + lobe,
                        cap(sev) + " area of opacity in the " + lobe) + pneumonia(f) + ".";
                case NODULE -> pick("There is a " + sev + " " + f.variant() + " mm nodule in the " + lobe + ".",
                        "A " + sev + " nodule in the " + lobe + " measures " + f.variant() + " mm.");
                case MASS -> pick("There is a " + sev + " " + cm(f.variant()) + " cm mass in the " + lobe + ".",
                        "A " + sev + " mass in the " + lobe + " measures " + cm(f.variant()) + " cm.");
                case EDEMA -> pick("There is " + sev + " bilateral perihilar edema.",
                        "Bilateral perihilar opacities consistent with " + sev + " pulmonary edema.",
                        cap(sev) + " pulmonary edema with bilateral perihilar haziness.");
                default -> f.side() == Side.BILATERAL
                        ? pick(cap(sev) + " bilateral basilar atelectasis.",
                        "There is " + sev + " bilateral atelectasis at the lung bases.")
                        : pick(cap(sev) + " " + side + " basilar atelectasis.",
                        "There is " + sev + " band-like atelectasis at the " + side + " lung base.");
            };
        }

        String pneumonia(Finding f) {
            return switch (f.variant()) {
                case 1 -> pick(", consistent with pneumonia", ", compatible with pneumonia");
                case -1 -> pick(", which may represent pneumonia", ", possibly pneumonia");
                default -> "";
            };
        }

        String pleural(Finding f) {
            String sev = f.severity(), side = f.side().word();
            return switch (f.type()) {
                case PLEURAL_EFFUSION -> f.side() == Side.BILATERAL
                        ? pick(cap(sev) + " bilateral pleural effusions.", "There are " + sev + " bilateral pleural effusions.")
                        : "small".equals(sev)
                        ? pick("Small " + side + " pleural effusion with blunting of the costophrenic angle.",
                        "There is a small " + side + " pleural effusion.")
                        : pick(cap(sev) + " " + side + " pleural effusion.", "There is a " + sev + " " + side + " pleural effusion.");
                case PNEUMOTHORAX -> "small".equals(sev)
                        ? pick("Small " + side + " apical pneumothorax.", "There is a small " + side + " apical pneumothorax.")
                        : pick(cap(sev) + " " + side + " pneumothorax with a visible pleural line.",
                        "There is a " + sev + " " + side + " pneumothorax.");
                default -> pick(cap(sev) + " " + side + " apical pleural thickening.",
                        "There is " + sev + " " + side + " apical pleural thickening.");
            };
        }

        String impression() {
            List<Finding> pos = new ArrayList<>(s.findings().stream().filter(f -> !f.type().isDevice()).toList());
            if (pos.isEmpty()) {
                String normal = pick("No acute cardiopulmonary abnormality.", "No acute cardiopulmonary process.",
                        "No acute cardiopulmonary abnormality.");
                return s.findings().isEmpty() || r.nextBoolean() ? normal : "Support devices as described. " + normal;
            }
            pos.sort(Comparator.comparingInt(Writer::priority));
            List<String> items = new ArrayList<>();
            for (Finding f : pos) items.add(impressionItem(f));
            if (items.size() > 1 && r.nextBoolean()) {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < items.size(); i++) b.append(i == 0 ? "" : " ").append(i + 1).append(". ").append(items.get(i));
                return b.toString();
            }
            return String.join(" ", items);
        }

        String impressionItem(Finding f) {
            String sev = cap(f.severity()), side = f.side().word();
            return switch (f.type()) {
                case CARDIOMEGALY -> sev + " cardiomegaly.";
                case WIDENED_MEDIASTINUM -> sev + " widening of the upper mediastinum.";
                case PLEURAL_EFFUSION -> f.side() == Side.BILATERAL ? sev + " bilateral pleural effusions."
                        : sev + " " + side + " pleural effusion.";
                case PNEUMOTHORAX -> sev + " " + side + " pneumothorax.";
                case CONSOLIDATION -> sev + " consolidation in the " + f.location() + pneumonia(f) + ".";
                case OPACITY -> sev + " opacity in the " + f.location() + pneumonia(f) + ".";
                case NODULE -> sev + " " + f.variant() + " mm nodule in the " + f.location() + "."
                        + (r.nextBoolean() ? " Recommend CT for further evaluation." : "");
                case MASS -> sev + " mass in the " + f.location() + ". Recommend CT for further evaluation.";
                case EDEMA -> sev + " bilateral pulmonary edema.";
                case ATELECTASIS -> f.side() == Side.BILATERAL ? sev + " bilateral basilar atelectasis."
                        : sev + " " + side + " basilar atelectasis.";
                case PLEURAL_THICKENING -> sev + " " + side + " apical pleural thickening.";
                case RIB_FRACTURE -> sev + " " + side + " " + f.location() + " fracture.";
                default -> "";
            };
        }

        static int priority(Finding f) {
            return switch (f.type()) {
                case PNEUMOTHORAX -> 0;
                case MASS -> 1;
                case CONSOLIDATION, OPACITY -> 2;
                case EDEMA -> 3;
                case PLEURAL_EFFUSION -> 4;
                case CARDIOMEGALY -> 5;
                case WIDENED_MEDIASTINUM -> 6;
                case NODULE -> 7;
                case RIB_FRACTURE -> 8;
                case ATELECTASIS -> 9;
                default -> 10;
            };
        }

        String pick(String... options) {
            return options[r.nextInt(options.length)];
        }
    }

    static String cap(String w) {
        return w == null || w.isEmpty() ? "" : Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }

    static String cm(int mm) {
        return String.format(java.util.Locale.ROOT, "%.1f", mm / 10.0);
    }
}
