// Initiates the replica set and creates the users. Runs (and re-runs, idempotently) in the `init-replicaset`
// sidecar of member 0, connecting over 127.0.0.1 so that MongoDB's localhost exception allows the first steps
// while no user exists yet. Invoked as: mongosh --nodb --quiet --norc init-replicaset.js
const env = process.env;
const members = JSON.parse(env.RS_MEMBERS);
const local = new Mongo("mongodb://127.0.0.1:27017/?directConnection=true").getDB("admin");

let rootReady = false;
try {
  local.auth(env.MONGO_ROOT_USERNAME, env.MONGO_ROOT_PASSWORD);
  rootReady = true;
} catch (e) {
  print(`root cannot authenticate yet (${e.message}); using the localhost exception`);
}

const initiated = local.runCommand({
  replSetInitiate: {
    _id: env.RS_NAME,
    members: members.map((host, i) => ({ _id: i, host, priority: i === 0 ? 2 : 1 })),
  },
});
// 23 = AlreadyInitialized
if (!initiated.ok && initiated.code !== 23) {
  throw new Error(`replSetInitiate failed: ${JSON.stringify(initiated)}`);
}

function waitFor(what, check) {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    sleep(1000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

if (!rootReady) {
  // First start: this member becomes primary (highest priority) and the first user is created through the
  // localhost exception.
  waitFor("this member to become primary", () => local.runCommand({ hello: 1 }).isWritablePrimary);
  local.createUser({ user: env.MONGO_ROOT_USERNAME, pwd: env.MONGO_ROOT_PASSWORD, roles: [{ role: "root", db: "admin" }] });
  print("created the root user");
}

// Everything else goes to the current primary, wherever it is.
const enc = encodeURIComponent;
const rsUri = `mongodb://${enc(env.MONGO_ROOT_USERNAME)}:${enc(env.MONGO_ROOT_PASSWORD)}@${members.join(",")}` +
  `/admin?replicaSet=${enc(env.RS_NAME)}&authSource=admin`;
let admin;
waitFor("a primary", () => {
  try {
    admin = new Mongo(rsUri).getDB("admin");
    return admin.runCommand({ hello: 1 }).isWritablePrimary === true;
  } catch (e) {
    print(`waiting for a primary: ${e.message}`);
    return false;
  }
});

function ensureUser(user, pwd, roles) {
  if (admin.getUser(user)) {
    admin.updateUser(user, { pwd, roles });
    print(`updated user ${user}`);
  } else {
    admin.createUser({ user, pwd, roles });
    print(`created user ${user}`);
  }
}

ensureUser(env.MONGO_USERNAME, env.MONGO_PASSWORD, [
  { role: "readWrite", db: env.MONGO_DATABASE },
  { role: "dbAdmin", db: env.MONGO_DATABASE },
]);
ensureUser(env.MONGO_METRICS_USERNAME, env.MONGO_METRICS_PASSWORD, [
  { role: "clusterMonitor", db: "admin" },
  { role: "read", db: "local" },
]);
print("replica set and users are ready");
