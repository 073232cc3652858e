#!/bin/sh
# The entrypoint of quadrants/redis:7. It keeps the official valkey/valkey image's contract, so
# docker-compose, Kubernetes and testcontainers use this image in place of valkey/valkey:9.1-trixie:
# - A first argument starting with `-` (flags alone) or ending in `.conf` is taken as an
#   argument to valkey-server; any other command (valkey-cli, sh) runs as given.
# - valkey-server started as root: it takes ownership of the working directory (/data), then
#   runs again as valkey (999:999) with setpriv. Started as any other uid (Kubernetes
#   runAsUser, `docker run --user`), it needs a writable /data and writes nothing elsewhere, so
#   a read-only root filesystem is fine.
# - umask 0077 unless one other than the default 0022 was set; VALKEY_EXTRA_FLAGS, split on
#   spaces, is appended to the command, as the official image does.
# One difference is made up for here: the official image builds its server with protected
# mode off by default (Docker publishes only the ports it is told to), while Debian's
# redis-server has it on, which refuses every client that is not on loopback when there is no
# password (testcontainers, a compose service without one). So `--protected-mode no` goes
# first among the server's flags unless they set protected-mode themselves, or the server is
# given a configuration file (whose own setting would otherwise be overridden) or only asked
# for its version or help. It is this project's own script, not a copy of the official one;
# images/redis/test-image checks the contract.
set -e

case "$1" in
  -* | *.conf) set -- valkey-server "$@" ;;
esac

if [ "$1" = valkey-server ]; then
  if [ "$(id -u)" = 0 ]; then
    find . ! -user valkey -exec chown valkey '{}' +
    exec setpriv --reuid=valkey --regid=valkey --clear-groups -- "$0" "$@"
  fi
  if [ ! -w . ]; then
    echo >&2 "error: directory '$(pwd)' is not writable by the current user ($(id -u))"
    echo >&2 "  Check the mount's permissions, or run as root to let the entrypoint chown it"
    exit 1
  fi
fi

if [ "$(umask)" = 0022 ]; then
  umask 0077
fi

# needs_protected_mode_off ARGS-AFTER-THE-SERVER: whether they are flags alone (or nothing)
# that leave protected-mode at the server's default.
needs_protected_mode_off() {
  case "${1:-}" in
    '' | --*) ;;
    *) return 1 ;; # a configuration file, `-` (one on stdin), -v, -h
  esac
  case "${1:-}" in
    --version | --help | --test-memory | --check-system) return 1 ;;
  esac
  for arg; do
    [ "$arg" = --protected-mode ] && return 1
  done
  return 0
}

if [ "$1" = valkey-server ]; then
  shift
  if needs_protected_mode_off "$@"; then
    set -- valkey-server --protected-mode no "$@"
  else
    set -- valkey-server "$@"
  fi
fi

# shellcheck disable=SC2086 # split on purpose, as the official image splits it
exec "$@" $VALKEY_EXTRA_FLAGS
