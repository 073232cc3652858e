#!/usr/bin/env bash
# The entrypoint of quadrants/postgres:15. It keeps the official postgres image's contract, so
# testcontainers, docker-compose and Kubernetes use this image in place of postgres:18-bookworm:
# - `docker-entrypoint.sh postgres [ARGS]` (the CMD); a first argument starting with `-` is
#   taken as an argument to postgres; any other command runs as given.
# - On an empty PGDATA: initdb with POSTGRES_USER (default postgres) as the superuser and
#   POSTGRES_PASSWORD as its password (required unless POSTGRES_HOST_AUTH_METHOD=trust), plus
#   POSTGRES_INITDB_ARGS and POSTGRES_INITDB_WALDIR; host connections authenticate with
#   POSTGRES_HOST_AUTH_METHOD (default: the server's password_encryption, scram-sha-256);
#   then a temporary server on the socket only creates POSTGRES_DB (default: the user) and runs
#   /docker-entrypoint-initdb.d/*.sh, *.sql and *.sql.gz in name order, and stops. So "database
#   system is ready to accept connections" appears twice on a first start and once after.
# - POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB and POSTGRES_INITDB_ARGS may instead be read
#   from the file named by the same variable with _FILE appended (Docker or Kubernetes secrets).
# - Started as root it prepares the directories, then runs again as postgres (999:999) with
#   setpriv, which util-linux gives every Debian system (the official image uses gosu). Started
#   as any other uid (Kubernetes runAsUser, `docker run --user`) it writes nothing outside
#   PGDATA, /var/run/postgresql and /tmp, so a read-only root filesystem is fine.
# It is this project's own script, not a copy of the official one; images/postgres/test-image
# checks the contract.
set -Eeo pipefail

# set_from_env_or_file VAR [DEFAULT]: VAR, or the contents of the file VAR_FILE names, or DEFAULT.
set_from_env_or_file() {
  local var="$1" default="${2:-}"
  local file_var="${var}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var"
    exit 1
  fi
  local value="$default"
  if [ -n "${!var:-}" ]; then
    value="${!var}"
  elif [ -n "${!file_var:-}" ]; then
    value="$(<"${!file_var}")"
  fi
  export "$var=$value"
  unset "$file_var"
}

load_settings() {
  set_from_env_or_file POSTGRES_PASSWORD
  set_from_env_or_file POSTGRES_USER postgres
  set_from_env_or_file POSTGRES_DB "$POSTGRES_USER"
  set_from_env_or_file POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"
}

# Makes PGDATA (and the WAL directory) and, when root, hands them to postgres. Failures to
# chmod /var/run/postgresql are ignored: an emptyDir or tmpfs there belongs to root, is
# world-writable, and serves as it is.
prepare_directories() {
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA" || : # PostgreSQL itself refuses a data directory others can read
  mkdir -p /var/run/postgresql 2>/dev/null || :
  chmod 3775 /var/run/postgresql 2>/dev/null || :
  if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
    mkdir -p "$POSTGRES_INITDB_WALDIR"
    chmod 0700 "$POSTGRES_INITDB_WALDIR"
  fi
  if [ "$(id -u)" = 0 ]; then
    local dir
    for dir in "$PGDATA" /var/run/postgresql ${POSTGRES_INITDB_WALDIR:+"$POSTGRES_INITDB_WALDIR"}; do
      find "$dir" ! -user postgres -exec chown postgres:postgres '{}' +
    done
  fi
}

# The same words as the official image, since people search for them.
refuse_without_password() {
  cat >&2 <<'EOF'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.

       See PostgreSQL documentation about "trust":
       https://www.postgresql.org/docs/current/auth-trust.html
EOF
  exit 1
}

check_first_start_settings() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    refuse_without_password
  fi
  if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
    cat >&2 <<'EOF'
WARNING: POSTGRES_HOST_AUTH_METHOD=trust lets anyone who reaches port 5432 in as any user,
         without a password, even when POSTGRES_PASSWORD is set. In Docker's default
         network that is every other container on this machine.
EOF
  fi
  # An unreadable init directory should stop us before initdb, not leave half a cluster.
  ls /docker-entrypoint-initdb.d/ >/dev/null
}

# initdb looks its own uid up in /etc/passwd; a uid the image does not know (OpenShift, a
# runAsUser other than 999) gets a passwd entry from nss_wrapper, in files under /tmp.
fake_passwd_entry_if_needed() {
  local uid gid lib
  uid="$(id -u)"
  gid="$(id -g)"
  getent passwd "$uid" >/dev/null && return 0
  for lib in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
    [ -s "$lib" ] || continue
    NSS_WRAPPER_PASSWD="$(mktemp)"
    NSS_WRAPPER_GROUP="$(mktemp)"
    printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\n' "$uid" "$gid" "$PGDATA" >"$NSS_WRAPPER_PASSWD"
    printf 'postgres:x:%s:\n' "$gid" >"$NSS_WRAPPER_GROUP"
    export LD_PRELOAD="$lib" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    return 0
  done
}

drop_fake_passwd_entry() {
  if [ -n "${NSS_WRAPPER_PASSWD:-}" ]; then
    rm -f "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
    unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
  fi
}

run_initdb() {
  local -a initdb_args=()
  # POSTGRES_INITDB_ARGS is split the way a shell would split it, quotes included, as the
  # official image does (e.g. POSTGRES_INITDB_ARGS="--locale-provider=icu --icu-locale=en").
  eval "initdb_args=($POSTGRES_INITDB_ARGS)"
  if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
    initdb_args=(--waldir "$POSTGRES_INITDB_WALDIR" "${initdb_args[@]}")
  fi
  fake_passwd_entry_if_needed
  # The password reaches initdb through a pipe, never a file or the command line; the newline
  # is there because initdb rejects an empty --pwfile (trust without a password).
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${initdb_args[@]}"
  drop_fake_passwd_entry
}

# allow_host_connections [POSTGRES-ARGS]: one pg_hba.conf line for every TCP client. The
# method follows password_encryption as the server will run (a `-c password_encryption=md5`
# among the arguments counts), unless POSTGRES_HOST_AUTH_METHOD names one.
allow_host_connections() {
  local method="$POSTGRES_HOST_AUTH_METHOD"
  if [ -z "$method" ]; then
    method="$(postgres -C password_encryption "$@")"
  fi
  printf '\nhost all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"
}

# docker_process_sql [PSQL-ARGS]: psql as the superuser into POSTGRES_DB over the socket
# (initdb's pg_hba.conf trusts local connections); a later --dbname wins. The official image's
# name for it, since sourced init scripts written for that image call it.
docker_process_sql() {
  PGHOST='' PGHOSTADDR='' psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password \
    --no-psqlrc --dbname "$POSTGRES_DB" "$@"
}

create_database() {
  local exists
  exists="$(docker_process_sql --dbname postgres --tuples-only --no-align --set db="$POSTGRES_DB" \
    <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
  if [ -z "$exists" ]; then
    docker_process_sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
}

run_init_files() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue # the directory is empty
    case "$f" in
      *.sh)
        # An executable script runs on its own; any other is sourced, so it can call docker_process_sql.
        if [ -x "$f" ]; then
          echo "$0: running $f"
          "$f"
        else
          echo "$0: sourcing $f"
          # shellcheck source=/dev/null
          . "$f"
        fi
        ;;
      *.sql)
        echo "$0: running $f"
        docker_process_sql -f "$f"
        ;;
      *.sql.gz)
        echo "$0: running $f"
        gunzip -c "$f" | docker_process_sql
        ;;
      *) echo "$0: ignoring $f" ;;
    esac
  done
}

# initialise POSTGRES-ARGS: everything a first start does before the real server starts.
initialise() {
  check_first_start_settings
  run_initdb
  allow_host_connections "$@"
  # The temporary server takes the same arguments as the real one, but listens on the socket
  # only: no client (testcontainers' pg_isready --host localhost, a Kubernetes probe, the
  # service) can connect to a database that is still being set up.
  local -a server_args=("$@" -c listen_addresses='' -p "${PGPORT:-5432}")
  # A password for psql in case POSTGRES_INITDB_ARGS made local connections ask for one.
  export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
  NOTIFY_SOCKET='' pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${server_args[@]}")" -w start
  create_database
  run_init_files
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  printf '\nPostgreSQL init process complete; ready for start up.\n\n'
}

# Options after which postgres prints something and exits, so there is nothing to set up.
only_asks_for_information() {
  local arg
  for arg; do
    case "$arg" in
      '-?' | --help | --describe-config | -V | --version) return 0 ;;
    esac
  done
  return 1
}

main() {
  if [ "${1:0:1}" = - ]; then
    set -- postgres "$@"
  fi
  if [ "$1" != postgres ] || only_asks_for_information "$@"; then
    exec "$@"
  fi
  load_settings
  prepare_directories
  if [ "$(id -u)" = 0 ]; then
    export HOME=/var/lib/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
  fi
  shift # "postgres": what follows are its arguments
  if [ -s "$PGDATA/PG_VERSION" ]; then
    printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
  else
    initialise "$@"
  fi
  exec postgres "$@"
}

main "$@"
