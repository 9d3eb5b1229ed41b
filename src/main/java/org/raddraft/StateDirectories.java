package org.raddraft;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The directories that hold patient data: raddraft.home, its database (db/) and the spool. Made
 * {@code rwxr-x---} (owner, and the service's group for backups) whatever the umask of whoever starts
 * RadDraft: under systemd (UMask=0027) that is what files get anyway, but {@code raddraft run} or
 * {@code demo} from a shell with umask 022 left the database and the images world-readable (issue 21
 * #18). A closed directory protects every file in it, whatever that file's own mode. db/ and spool/
 * are RadDraft's own and are closed at each start; an existing home wider than that is the admin's
 * (it may be a shared directory): logged and warned about by check-config, not changed.
 */
public final class StateDirectories {

    /** rwxr-x---: owner and group, nothing for others. */
    static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rwxr-x---");
    private static final Set<PosixFilePermission> TOO_OPEN = EnumSet.of(PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private StateDirectories() {
    }

    /** The directories whose modes matter: home, db, spool. */
    static List<Path> of(Settings s) {
        return List.of(s.home(), s.home().resolve("db"), s.spoolDir());
    }

    /**
     * Creates home, db/ and spool/ with {@link #MODE} where missing, and closes db/ and spool/ where
     * they are wider; returns a warning for each directory still too open (an existing home).
     */
    public static List<String> prepare(Settings s) throws IOException {
        boolean homeExisted = Files.isDirectory(s.home());
        for (Path dir : of(s)) {
            create(dir);
        }
        for (Path dir : List.of(s.home().resolve("db"), s.spoolDir())) {
            close(dir);
        }
        if (!homeExisted) {
            close(s.home());
        }
        return tooOpen(s);
    }

    /** The directory (and missing parents) with {@link #MODE}, whatever the umask. */
    public static void create(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            create(parent);
        }
        try {
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return; // made at the same moment by another process of ours (an admin command)
        }
        close(dir);
    }

    private static void close(Path dir) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        if (view == null) {
            return; // not a POSIX file system: its ACLs are the admin's
        }
        Set<PosixFilePermission> now = view.readAttributes().permissions();
        Set<PosixFilePermission> wanted = EnumSet.copyOf(now);
        wanted.removeAll(TOO_OPEN);
        if (!wanted.equals(now)) {
            view.setPermissions(wanted);
        }
    }

    /** For check-config and the start-up log: each of home, db/, spool/ that others may enter or read, or the group write. */
    public static List<String> tooOpen(Settings s) {
        List<String> w = new ArrayList<>();
        for (Path dir : of(s)) {
            try {
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
                if (view == null) {
                    continue;
                }
                Set<PosixFilePermission> p = EnumSet.copyOf(view.readAttributes().permissions());
                p.retainAll(TOO_OPEN);
                if (!p.isEmpty()) {
                    w.add(dir + " is mode " + PosixFilePermissions.toString(view.readAttributes().permissions())
                            + ": it holds patient data (database, images), which other users of this host can "
                            + "reach; run chmod 750 " + dir);
                }
            } catch (IOException e) {
                w.add(dir + ": its mode cannot be read (" + e.getClass().getSimpleName() + ")");
            }
        }
        return w;
    }
}
