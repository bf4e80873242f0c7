#!/usr/bin/env bash
# Starts a private CKAN 2.12 test instance on 127.0.0.1 and writes its settings to an env file:
#   private PostgreSQL 15 cluster (run as user postgres via runuser, temp data dir, free port),
#   Redis (free port, no persistence), the Solr HTTP API stand-in (scripts/ckan/solr_standin.py),
#   CKAN itself, configured like a German municipal portal that GovData harvests: the DataStore (own
#   database, write and read-only roles, so CKAN's preview and Data API work), ckanext-dcat with GovData's
#   ckanext-dcatde profile `dcatap_de` (RDF at /dataset/<id>.ttl and /catalog.ttl), a licence list from a
#   local JSON file, a sysadmin with an API token and an organisation.
#
#   scripts/ckan/start.sh [ENV_FILE]      (default ENV_FILE: $STATE_DIR/ckan.env; path printed on stdout)
#
# FREIGABE_CKAN_VARIANT selects the portal:
#   govdata   (default) licence list with GovData's URI ids (http://dcat-ap.de/def/licenses/dl-by-de/2.0 ...)
#   scheming  ckanext-scheming with ckanext-dcat's DCAT-AP schema (dcat_ap_full.yaml, profiles
#             euro_dcat_ap_2 + euro_dcat_ap_scheming) and a licence list with short ids (dl-by-de/2.0 ...)
#
# The env file defines FREIGABE_CKAN_URL, FREIGABE_CKAN_TOKEN, FREIGABE_CKAN_ORG and FREIGABE_CKAN_STATE_DIR
# (everything start.sh started is recorded there; scripts/ckan/stop.sh ENV_FILE stops exactly that).
# $STATE_DIR/serve.sh runs the CKAN web process alone (used to restart CKAN after stopping only the web
# process, e.g. to test "CKAN down").  Needs scripts/ckan/install.sh to have run (it is called if needed).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CKAN_VERSION=${CKAN_VERSION:-2.12.0}
CACHE=${FREIGABE_CKAN_CACHE:-$HOME/.cache/freigabe}
VENV="$CACHE/ckan-$CKAN_VERSION/venv"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
ORG=${FREIGABE_CKAN_TEST_ORG:-statistikamt}
VARIANT=${FREIGABE_CKAN_VARIANT:-govdata}
case "$VARIANT" in govdata|scheming) ;; *) echo "start.sh: unknown FREIGABE_CKAN_VARIANT=$VARIANT" >&2; exit 2 ;; esac

"$HERE/install.sh"

STATE=$(mktemp -d "${TMPDIR:-/tmp}/freigabe-ckan.XXXXXX")
chmod 755 "$STATE"
ENV_FILE=${1:-$STATE/ckan.env}
echo "FREIGABE_CKAN_STATE_DIR=$STATE" > "$STATE/state.env"

fail() {
  echo "start.sh: $*" >&2
  echo "start.sh: logs in $STATE/*.log; stopping what was started" >&2
  "$HERE/stop.sh" "$STATE" >/dev/null 2>&1 || true
  exit 1
}
trap 'fail "failed at line $LINENO"' ERR

free_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then fail "$what did not come up within ${secs}s"; fi
    sleep 0.2
  done
}

# --- PostgreSQL -------------------------------------------------------------------------------------------
PG_PORT=$(free_port)
mkdir -p "$STATE/pg" "$STATE/pgsock"
chown postgres: "$STATE/pg" "$STATE/pgsock"
chmod 700 "$STATE/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$STATE/pg/data" -U postgres --auth=trust -E UTF8 \
  --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$STATE/pg/data" -l "$STATE/pg/postgres.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $STATE/pgsock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >"$STATE/pg_ctl.log" 2>&1
echo "PG_DATA=$STATE/pg/data" >> "$STATE/state.env"
runuser -u postgres -- "$PGBIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
  -c "CREATE ROLE ckan LOGIN PASSWORD 'ckan'" -c "CREATE DATABASE ckan OWNER ckan ENCODING 'UTF8'" \
  -c "CREATE ROLE datastore_ro NOSUPERUSER NOCREATEDB NOCREATEROLE LOGIN PASSWORD 'datastore'" \
  -c "CREATE DATABASE datastore OWNER ckan ENCODING 'UTF8'" \
  >"$STATE/psql.log" 2>&1

# --- Redis ------------------------------------------------------------------------------------------------
REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --pidfile "$STATE/redis.pid" \
  --dir "$STATE" --save "" --appendonly no --logfile "$STATE/redis.log"
wait_for 10 redis test -s "$STATE/redis.pid"
echo "REDIS_PID=$(cat "$STATE/redis.pid")" >> "$STATE/state.env"

# --- Solr stand-in ----------------------------------------------------------------------------------------
SOLR_PORT=$(free_port)
"$VENV/bin/python" "$HERE/solr_standin.py" --host 127.0.0.1 --port "$SOLR_PORT" --core ckan \
  --schema-version "${CKAN_VERSION%.*}" >"$STATE/solr.log" 2>&1 &
echo "SOLR_PID=$!" >> "$STATE/state.env"
wait_for 10 "solr stand-in" "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$SOLR_PORT/solr/ckan/admin/ping')"

# --- CKAN config ------------------------------------------------------------------------------------------
CKAN_PORT=$(free_port)
CKAN_URL="http://127.0.0.1:$CKAN_PORT"
INI="$STATE/ckan.ini"
mkdir -p "$STATE/storage"
if [ "$VARIANT" = govdata ]; then
  LIC_BY="http://dcat-ap.de/def/licenses/dl-by-de/2.0"; LIC_ZERO="http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
  LIC_CC="http://dcat-ap.de/def/licenses/cc-by/4.0"; LIC_CLOSED="http://dcat-ap.de/def/licenses/other-closed"
else
  LIC_BY="dl-by-de/2.0"; LIC_ZERO="dl-zero-de/2.0"; LIC_CC="cc-by-4.0"; LIC_CLOSED="other-closed"
fi
cat > "$STATE/licenses.json" <<JSON
[
  {"id": "$LIC_BY", "title": "Datenlizenz Deutschland Namensnennung 2.0",
   "url": "https://www.govdata.de/dl-de/by-2-0", "od_conformance": "approved", "osd_conformance": "not reviewed",
   "status": "active", "is_generic": false},
  {"id": "$LIC_ZERO", "title": "Datenlizenz Deutschland Zero 2.0",
   "url": "https://www.govdata.de/dl-de/zero-2-0", "od_conformance": "approved", "osd_conformance": "not reviewed",
   "status": "active", "is_generic": false},
  {"id": "$LIC_CC", "title": "Creative Commons Namensnennung 4.0 International",
   "url": "https://creativecommons.org/licenses/by/4.0/", "od_conformance": "approved",
   "osd_conformance": "not reviewed", "status": "active", "is_generic": false},
  {"id": "$LIC_CLOSED", "title": "Andere geschlossene Lizenz",
   "url": "http://dcat-ap.de/def/licenses/other-closed", "od_conformance": "not reviewed",
   "osd_conformance": "not reviewed", "status": "active", "is_generic": true}
]
JSON
if [ "$VARIANT" = govdata ]; then
  PLUGIN_CFG=("ckan.plugins = activity datastore datatables_view dcat dcatde"
              "ckanext.dcat.rdf.profiles = dcatap_de")
else
  PLUGIN_CFG=("ckan.plugins = activity datastore datatables_view scheming_datasets dcat"
              "ckanext.dcat.rdf.profiles = euro_dcat_ap_2 euro_dcat_ap_scheming"
              "scheming.dataset_schemas = ckanext.dcat.schemas:dcat_ap_full.yaml"
              "scheming.presets = ckanext.scheming:presets.json ckanext.dcat.schemas:presets.yaml")
fi
(cd "$STATE" && "$VENV/bin/ckan" generate config "$INI" >"$STATE/generate.log" 2>&1)
"$VENV/bin/ckan" config-tool "$INI" \
  "sqlalchemy.url = postgresql://ckan:ckan@127.0.0.1:$PG_PORT/ckan" \
  "ckan.site_url = $CKAN_URL" \
  "ckan.site_id = freigabe-test" \
  "ckan.site_title = Freigabe Test-Portal" \
  "solr_url = http://127.0.0.1:$SOLR_PORT/solr/ckan" \
  "ckan.redis.url = redis://127.0.0.1:$REDIS_PORT/0" \
  "ckan.storage_path = $STATE/storage" \
  "ckan.max_resource_size = 100" \
  "licenses_group_url = file://$STATE/licenses.json" \
  "ckan.datastore.write_url = postgresql://ckan:ckan@127.0.0.1:$PG_PORT/datastore" \
  "ckan.datastore.read_url = postgresql://datastore_ro:datastore@127.0.0.1:$PG_PORT/datastore" \
  "ckan.views.default_views = datatables_view" \
  "${PLUGIN_CFG[@]}" \
  "ckan.locale_default = de" \
  "ckan.auth.create_unowned_dataset = false" \
  "ckan.search.solr_commit = true" \
  "debug = false" \
  >"$STATE/config-tool.log" 2>&1
"$VENV/bin/ckan" config-tool "$INI" -s logger_root "level = WARNING" >>"$STATE/config-tool.log" 2>&1 || true

# --- database, sysadmin, token ----------------------------------------------------------------------------
"$VENV/bin/ckan" -c "$INI" db init >"$STATE/db-init.log" 2>&1
# DataStore: the read-only role may only read (CKAN's own SQL, run as the superuser)
"$VENV/bin/ckan" -c "$INI" datastore set-permissions 2>"$STATE/datastore-perm.log" \
  | runuser -u postgres -- "$PGBIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d datastore \
  >>"$STATE/datastore-perm.log" 2>&1
"$VENV/bin/ckan" -c "$INI" sysadmin add freigabe --create email=freigabe@example.org \
  password=freigabe-test-1234 >"$STATE/sysadmin.log" 2>&1
TOKEN=$("$VENV/bin/ckan" -c "$INI" user token add freigabe freigabe-tests -q 2>"$STATE/token.log" | tail -n 1)
[ -n "$TOKEN" ] || fail "no API token"

# --- CKAN web ---------------------------------------------------------------------------------------------
cat > "$STATE/serve.sh" <<EOF
#!/usr/bin/env bash
# runs the CKAN web process of this test instance in the foreground
exec "$VENV/bin/ckan" -c "$INI" run --host 127.0.0.1 --port $CKAN_PORT --disable-reloader --threaded --disable-debugger
EOF
chmod +x "$STATE/serve.sh"
nohup "$STATE/serve.sh" >"$STATE/ckan.log" 2>&1 &
echo "$!" > "$STATE/ckan.pid"
echo "CKAN_PID=$!" >> "$STATE/state.env"
wait_for 60 CKAN "$VENV/bin/python" -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('$CKAN_URL/api/3/action/status_show', timeout=2).status == 200 else 1)"

# --- organisation -----------------------------------------------------------------------------------------
"$VENV/bin/python" - "$CKAN_URL" "$TOKEN" "$ORG" >"$STATE/org.log" 2>&1 <<'PY'
import json, sys, urllib.request
url, token, org = sys.argv[1:4]
req = urllib.request.Request(
    url + "/api/3/action/organization_create",
    data=json.dumps({"name": org, "title": "Amt für Statistik (Test)"}).encode(),
    headers={"Authorization": token, "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req, timeout=30))["success"])
PY

trap - ERR
cat > "$ENV_FILE" <<EOF
FREIGABE_CKAN_URL=$CKAN_URL
FREIGABE_CKAN_TOKEN=$TOKEN
FREIGABE_CKAN_ORG=$ORG
FREIGABE_CKAN_STATE_DIR=$STATE
FREIGABE_CKAN_VARIANT=$VARIANT
EOF
cp "$ENV_FILE" "$STATE/ckan.env" 2>/dev/null || true
echo "$ENV_FILE"
