//! Built-in abstractions, written in the language itself.
//!
//! Each file `policy-lang/stdlib/NAME.pol` defines `abstraction NAME` and is embedded in
//! the library. A policy pulls one in with `use NAME` (or `use NAME@VERSION`); an
//! abstraction of the same name in the policy's own file or in a directory of the
//! abstraction search path ([`crate::catalog`]) takes precedence. Diagnostics and
//! origins name these files `stdlib:NAME`.
//!
//! | name | what it grants |
//! | --- | --- |
//! | `audio-playback` | sound output through PulseAudio, PipeWire or ALSA's playback devices |
//! | `audio-record` | `audio-playback` and ALSA's capture devices |
//! | `base` | what a dynamically linked program needs to start on Debian 12 (x86-64) |
//! | `camera` | V4L2 video and media devices and what enumerates them |
//! | `consoles` | the controlling terminal, pseudo-terminals and the console |
//! | `dbus-session` | the session bus socket and the handshake with the bus (`Hello`, matches, name owners) |
//! | `dbus-system` | the system bus socket and the handshake with the bus (`Hello`, matches, name owners) |
//! | `desktop` | themes, icons, MIME and application data, desktop settings, `fonts`, `dbus-session` |
//! | `fonts` | system fonts, fontconfig, the user's fonts and fontconfig cache |
//! | `gnutls` | GnuTLS's configuration, with `ssl-certs` and `p11-kit` |
//! | `gpg-keys` | the user's ~/.gnupg and gpg-agent's socket |
//! | `gtk` | GTK themes, settings, GSettings schemas and dconf, with `fonts` |
//! | `hardware-random` | the hardware random number generator (/dev/hwrng) |
//! | `home` | read the user's non-hidden files in the home directory |
//! | `home-write` | `home`, and change the user's non-hidden files |
//! | `kerberosclient` | Kerberos 5 configuration, keytab, credential caches, the KDC's port |
//! | `locale` | locale archive and sources, default locale settings, gconv modules |
//! | `log-observe` | read /var/log, the journal and the kernel ring buffer |
//! | `mesa` | DRI devices, Mesa's configuration, GPU identity in sysfs, shader cache |
//! | `nameservice` | users, groups, hosts and services through the name service switch; DNS |
//! | `network` | TCP and UDP connect, with `nameservice` and `ssl-certs` |
//! | `network-bind` | TCP and UDP bind, with `nameservice` |
//! | `network-client` | TCP and UDP connect, name resolution, CA certificates |
//! | `network-observe` | route and socket-diagnostics netlink, /proc and sysfs network tables |
//! | `network-server` | TCP and UDP bind |
//! | `opengl` | `mesa` and the NVIDIA driver's devices and configuration |
//! | `openssl` | OpenSSL's configuration, with `ssl-certs` |
//! | `p11-kit` | PKCS#11 module configuration and the user's p11-kit socket |
//! | `perl` | the Perl interpreter and modules |
//! | `process-control` | signals to every process, priorities and limits, the OOM score |
//! | `python3` | the Python 3 interpreter, standard library and packages |
//! | `removable-media` | read and change files under /media, /run/media and /mnt |
//! | `shell` | POSIX shells, their start-up files, terminfo, the commands in /usr/bin |
//! | `ssh-keys` | the user's ~/.ssh, the client configuration and ssh-agent's socket |
//! | `ssl-certs` | trusted CA certificates and the crypto policy |
//! | `syslog` | the system log's sockets (/dev/log, journald) |
//! | `system-observe` | processes' status under /proc, load and memory figures, sysfs |
//! | `timezone` | the system time zone and the tz database |
//! | `tmp` | files under `/tmp` and `/var/tmp` |
//! | `user-tmp` | the user's own files under /tmp, /var/tmp and ~/tmp |
//! | `wayland` | the Wayland compositor's socket and shared buffers |
//! | `x11` | the X11 display sockets, authority files, keyboard and cursor data |
//! | `xdg-cache` | the program's ~/.cache/`${app_id}` |
//! | `xdg-config` | the program's ~/.config/`${app_id}` |
//! | `xdg-data` | the program's ~/.local/share/`${app_id}` |
//!
//! ```
//! let text = polc_lang::stdlib::get("tmp").unwrap();
//! assert!(text.contains("abstraction tmp"));
//! assert_eq!(polc_lang::stdlib::all().len(), 45);
//! ```

const ALL: [(&str, &str); 45] = [
    (
        "audio-playback",
        include_str!("../stdlib/audio-playback.pol"),
    ),
    ("audio-record", include_str!("../stdlib/audio-record.pol")),
    ("base", include_str!("../stdlib/base.pol")),
    ("camera", include_str!("../stdlib/camera.pol")),
    ("consoles", include_str!("../stdlib/consoles.pol")),
    ("dbus-session", include_str!("../stdlib/dbus-session.pol")),
    ("dbus-system", include_str!("../stdlib/dbus-system.pol")),
    ("desktop", include_str!("../stdlib/desktop.pol")),
    ("fonts", include_str!("../stdlib/fonts.pol")),
    ("gnutls", include_str!("../stdlib/gnutls.pol")),
    ("gpg-keys", include_str!("../stdlib/gpg-keys.pol")),
    ("gtk", include_str!("../stdlib/gtk.pol")),
    (
        "hardware-random",
        include_str!("../stdlib/hardware-random.pol"),
    ),
    ("home", include_str!("../stdlib/home.pol")),
    ("home-write", include_str!("../stdlib/home-write.pol")),
    (
        "kerberosclient",
        include_str!("../stdlib/kerberosclient.pol"),
    ),
    ("locale", include_str!("../stdlib/locale.pol")),
    ("log-observe", include_str!("../stdlib/log-observe.pol")),
    ("mesa", include_str!("../stdlib/mesa.pol")),
    ("nameservice", include_str!("../stdlib/nameservice.pol")),
    ("network", include_str!("../stdlib/network.pol")),
    ("network-bind", include_str!("../stdlib/network-bind.pol")),
    (
        "network-client",
        include_str!("../stdlib/network-client.pol"),
    ),
    (
        "network-observe",
        include_str!("../stdlib/network-observe.pol"),
    ),
    (
        "network-server",
        include_str!("../stdlib/network-server.pol"),
    ),
    ("opengl", include_str!("../stdlib/opengl.pol")),
    ("openssl", include_str!("../stdlib/openssl.pol")),
    ("p11-kit", include_str!("../stdlib/p11-kit.pol")),
    ("perl", include_str!("../stdlib/perl.pol")),
    (
        "process-control",
        include_str!("../stdlib/process-control.pol"),
    ),
    ("python3", include_str!("../stdlib/python3.pol")),
    (
        "removable-media",
        include_str!("../stdlib/removable-media.pol"),
    ),
    ("shell", include_str!("../stdlib/shell.pol")),
    ("ssh-keys", include_str!("../stdlib/ssh-keys.pol")),
    ("ssl-certs", include_str!("../stdlib/ssl-certs.pol")),
    ("syslog", include_str!("../stdlib/syslog.pol")),
    (
        "system-observe",
        include_str!("../stdlib/system-observe.pol"),
    ),
    ("timezone", include_str!("../stdlib/timezone.pol")),
    ("tmp", include_str!("../stdlib/tmp.pol")),
    ("user-tmp", include_str!("../stdlib/user-tmp.pol")),
    ("wayland", include_str!("../stdlib/wayland.pol")),
    ("x11", include_str!("../stdlib/x11.pol")),
    ("xdg-cache", include_str!("../stdlib/xdg-cache.pol")),
    ("xdg-config", include_str!("../stdlib/xdg-config.pol")),
    ("xdg-data", include_str!("../stdlib/xdg-data.pol")),
];

/// Every built-in abstraction as (name, source text), sorted by name.
pub fn all() -> &'static [(&'static str, &'static str)] {
    &ALL
}

/// The source text of the built-in abstraction `name`.
pub fn get(name: &str) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The file name diagnostics and origins use for the built-in abstraction `name`.
pub fn source_name(name: &str) -> String {
    format!("stdlib:{name}")
}
