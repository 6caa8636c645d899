// DynamoDB Local cannot be told which address to listen on: it builds its Jetty server with
// `new Server(port)`, which binds every interface, and has no flag or system property for a host.
// This file generates, byte for byte, a tiny Java class that starts it bound to one address
// (127.0.0.1) instead. It is the compiled form of:
//
//   public class LoopbackDynamoDbLocal {
//     public static void main(String[] args) throws Exception {
//       DynamoDBProxyServer server = ServerRunner.createServerFromCommandLineArgs(args);
//       Field jetty = DynamoDBProxyServer.class.getDeclaredField("server");
//       jetty.setAccessible(true);
//       ((AbstractNetworkConnector) ((Server) jetty.get(server)).getConnectors()[0]).setHost("127.0.0.1");
//       server.start();
//       new BufferedReader(new InputStreamReader(System.in)).lines().count();
//       System.exit(0);
//     }
//   }
//
// (ServerRunner.main does the same minus the setHost line and the last two.) The last two make
// it exit when its stdin reaches end-of-file, which the kernel delivers when the process holding
// the other end of the pipe dies, however it dies (crash, SIGKILL, OOM): so it never outlives the
// stack that started it, with no watchdog process in between.
//
// Generated rather than compiled so that a JRE without javac runs it; class file version 52 and
// Java 8's library only (the stdin wait counts lines, as transferTo is Java 9), so any Java
// DynamoDB Local runs on loads it. Straight-line code, so the verifier needs no stack map frames.

export const launcherClassName = 'LoopbackDynamoDbLocal';

class ConstantPool {
  private readonly entries: Buffer[] = [];
  private readonly indexes = new Map<string, number>();

  private add(id: string, bytes: Buffer): number {
    const known = this.indexes.get(id);
    if (known !== undefined) return known;
    this.entries.push(bytes);
    const index = this.entries.length; // constant pool indexes start at 1
    this.indexes.set(id, index);
    return index;
  }

  utf8(text: string): number {
    if ([...text].some((c) => c.charCodeAt(0) < 1 || c.charCodeAt(0) > 0x7f))
      throw new Error('only ASCII constants are supported');
    const data = Buffer.from(text, 'latin1');
    return this.add(`utf8:${text}`, Buffer.concat([u1(1), u2(data.length), data]));
  }
  classRef(name: string): number {
    return this.add(`class:${name}`, Buffer.concat([u1(7), u2(this.utf8(name))]));
  }
  /** A long constant: it takes two pool slots, the second unused. */
  long(value: bigint): number {
    const data = Buffer.alloc(8);
    data.writeBigInt64BE(value);
    const index = this.add(`long:${value}`, Buffer.concat([u1(5), data]));
    if (index === this.entries.length) this.entries.push(Buffer.alloc(0));
    return index;
  }
  fieldRef(owner: string, name: string, descriptor: string): number {
    return this.add(
      `field:${owner}.${name}:${descriptor}`,
      Buffer.concat([u1(9), u2(this.classRef(owner)), u2(this.nameAndType(name, descriptor))]),
    );
  }
  interfaceMethodRef(owner: string, name: string, descriptor: string): number {
    return this.add(
      `imethod:${owner}.${name}${descriptor}`,
      Buffer.concat([u1(11), u2(this.classRef(owner)), u2(this.nameAndType(name, descriptor))]),
    );
  }
  string(text: string): number {
    return this.add(`string:${text}`, Buffer.concat([u1(8), u2(this.utf8(text))]));
  }
  private nameAndType(name: string, descriptor: string): number {
    return this.add(
      `nat:${name}:${descriptor}`,
      Buffer.concat([u1(12), u2(this.utf8(name)), u2(this.utf8(descriptor))]),
    );
  }
  methodRef(owner: string, name: string, descriptor: string): number {
    return this.add(
      `method:${owner}.${name}${descriptor}`,
      Buffer.concat([u1(10), u2(this.classRef(owner)), u2(this.nameAndType(name, descriptor))]),
    );
  }
  bytes(): Buffer {
    return Buffer.concat([u2(this.entries.length + 1), ...this.entries]);
  }
}

function u1(value: number): Buffer {
  return Buffer.from([value]);
}
function u2(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}
function u4(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

const op = {
  aload0: 0x2a,
  new: 0xbb,
  dup: 0x59,
  pop: 0x57,
  pop2: 0x58,
  ldc2W: 0x14,
  getstatic: 0xb2,
  invokespecial: 0xb7,
  aload1: 0x2b,
  aload2: 0x2c,
  astore1: 0x4c,
  astore2: 0x4d,
  istore3: 0x3e,
  iload3: 0x1d,
  iconst0: 0x03,
  iconst1: 0x04,
  aaload: 0x32,
  ldcW: 0x13,
  invokestatic: 0xb8,
  invokevirtual: 0xb6,
  invokeinterface: 0xb9,
  checkcast: 0xc0,
  return: 0xb1,
} as const;

const proxyServer = 'com/amazonaws/services/dynamodbv2/local/server/DynamoDBProxyServer';
const serverRunner = 'com/amazonaws/services/dynamodbv2/local/main/ServerRunner';
const jettyServer = 'org/eclipse/jetty/server/Server';
const networkConnector = 'org/eclipse/jetty/server/AbstractNetworkConnector';

/** The class file of `LoopbackDynamoDbLocal`, listening on `host` (an IP literal). */
export function launcherClass(host = '127.0.0.1'): Buffer {
  if (!/^[0-9a-fA-F.:]+$/.test(host)) throw new Error(`not an IP address: ${host}`);
  const pool = new ConstantPool();
  const code = Buffer.from([
    op.aload0,
    op.invokestatic,
    ...ref(
      pool.methodRef(
        serverRunner,
        'createServerFromCommandLineArgs',
        `([Ljava/lang/String;)L${proxyServer};`,
      ),
    ),
    op.astore1,
    op.ldcW,
    ...ref(pool.classRef(proxyServer)),
    op.ldcW,
    ...ref(pool.string('server')),
    op.invokevirtual,
    ...ref(
      pool.methodRef('java/lang/Class', 'getDeclaredField', '(Ljava/lang/String;)Ljava/lang/reflect/Field;'),
    ),
    op.astore2,
    op.aload2,
    op.iconst1,
    op.invokevirtual,
    ...ref(pool.methodRef('java/lang/reflect/Field', 'setAccessible', '(Z)V')),
    op.aload2,
    op.aload1,
    op.invokevirtual,
    ...ref(pool.methodRef('java/lang/reflect/Field', 'get', '(Ljava/lang/Object;)Ljava/lang/Object;')),
    op.checkcast,
    ...ref(pool.classRef(jettyServer)),
    op.invokevirtual,
    ...ref(pool.methodRef(jettyServer, 'getConnectors', '()[Lorg/eclipse/jetty/server/Connector;')),
    op.iconst0,
    op.aaload,
    op.checkcast,
    ...ref(pool.classRef(networkConnector)),
    op.ldcW,
    ...ref(pool.string(host)),
    op.invokevirtual,
    ...ref(pool.methodRef(networkConnector, 'setHost', '(Ljava/lang/String;)V')),
    op.aload1,
    op.invokevirtual,
    ...ref(pool.methodRef(proxyServer, 'start', '()V')),
    op.new,
    ...ref(pool.classRef('java/io/BufferedReader')),
    op.dup,
    op.new,
    ...ref(pool.classRef('java/io/InputStreamReader')),
    op.dup,
    op.getstatic,
    ...ref(pool.fieldRef('java/lang/System', 'in', 'Ljava/io/InputStream;')),
    op.invokespecial,
    ...ref(pool.methodRef('java/io/InputStreamReader', '<init>', '(Ljava/io/InputStream;)V')),
    op.invokespecial,
    ...ref(pool.methodRef('java/io/BufferedReader', '<init>', '(Ljava/io/Reader;)V')),
    op.invokevirtual,
    ...ref(pool.methodRef('java/io/BufferedReader', 'lines', '()Ljava/util/stream/Stream;')),
    op.invokeinterface,
    ...ref(pool.interfaceMethodRef('java/util/stream/Stream', 'count', '()J')),
    1, // invokeinterface's argument count (the receiver), then a zero byte
    0,
    op.pop2,
    op.iconst0,
    op.invokestatic,
    ...ref(pool.methodRef('java/lang/System', 'exit', '(I)V')),
    op.return,
  ]);
  return classFile(pool, launcherClassName, code, { maxStack: 5, maxLocals: 3 });
}

/** A public class with one method, `public static void main(String[])`, of straight-line `code`. */
function classFile(
  pool: ConstantPool,
  className: string,
  code: Buffer,
  frame: { readonly maxStack: number; readonly maxLocals: number },
): Buffer {
  const thisClass = pool.classRef(className);
  const superClass = pool.classRef('java/lang/Object');
  const mainName = pool.utf8('main');
  const mainDescriptor = pool.utf8('([Ljava/lang/String;)V');
  const codeName = pool.utf8('Code');
  const codeAttribute = Buffer.concat([
    u2(codeName),
    u4(12 + code.length),
    u2(frame.maxStack),
    u2(frame.maxLocals),
    u4(code.length),
    code,
    u2(0), // exception table
    u2(0), // attributes
  ]);
  const ACC_PUBLIC = 0x0001;
  const ACC_STATIC = 0x0008;
  const ACC_SUPER = 0x0020;
  return Buffer.concat([
    u4(0xcafebabe),
    u2(0), // minor version
    u2(52), // major version: Java 8
    pool.bytes(),
    u2(ACC_PUBLIC | ACC_SUPER),
    u2(thisClass),
    u2(superClass),
    u2(0), // interfaces
    u2(0), // fields
    u2(1), // methods
    u2(ACC_PUBLIC | ACC_STATIC),
    u2(mainName),
    u2(mainDescriptor),
    u2(1),
    codeAttribute,
    u2(0), // class attributes
  ]);
}

const ref = (index: number): number[] => [index >> 8, index & 0xff];

export const checkpointClassName = 'WalCheckpoint';

const sqliteConnection = 'com/almworks/sqlite4java/SQLiteConnection';
const sqliteStatement = 'com/almworks/sqlite4java/SQLiteStatement';

/**
 * The class file of `WalCheckpoint`, the compiled form of:
 *
 *   public class WalCheckpoint {
 *     public static void main(String[] args) throws Exception {
 *       SQLiteConnection db = new SQLiteConnection(new File(args[0]));
 *       db.open(false);
 *       db.setBusyTimeout(10000L);
 *       db.exec("PRAGMA wal_checkpoint(PASSIVE)");
 *       System.out.println("ready");
 *       System.in.read();
 *       SQLiteStatement restart = db.prepare("PRAGMA wal_checkpoint(RESTART)");
 *       restart.step();
 *       int busy = restart.columnInt(0);
 *       restart.dispose();
 *       db.dispose();
 *       System.exit(busy);
 *     }
 *   }
 *
 * DynamoDB Local's SQLite never checkpoints its write-ahead log, so without this the log holds
 * every page ever written. It runs as a process of its own (two copies of SQLite in one process
 * would break each other's file locks): the passive pass copies the log into the database while
 * requests go on; the restarting pass, once the caller has paused requests and writes a line,
 * copies the rest and has the next write start the log again from its beginning, so the file
 * stops growing. (SQLite 3.8.7, the version DynamoDB Local ships, has no TRUNCATE mode.) When no
 * other connection is open, closing this one removes the log altogether. The exit status is
 * SQLite's busy flag: 1 when a reader kept the log from restarting.
 */
export function checkpointClass(): Buffer {
  const pool = new ConstantPool();
  const exec = pool.methodRef(sqliteConnection, 'exec', `(Ljava/lang/String;)L${sqliteConnection};`);
  const code = Buffer.from([
    op.new,
    ...ref(pool.classRef(sqliteConnection)),
    op.dup,
    op.new,
    ...ref(pool.classRef('java/io/File')),
    op.dup,
    op.aload0,
    op.iconst0,
    op.aaload,
    op.invokespecial,
    ...ref(pool.methodRef('java/io/File', '<init>', '(Ljava/lang/String;)V')),
    op.invokespecial,
    ...ref(pool.methodRef(sqliteConnection, '<init>', '(Ljava/io/File;)V')),
    op.astore1,
    op.aload1,
    op.iconst0,
    op.invokevirtual,
    ...ref(pool.methodRef(sqliteConnection, 'open', `(Z)L${sqliteConnection};`)),
    op.pop,
    op.aload1,
    op.ldc2W,
    ...ref(pool.long(10_000n)),
    op.invokevirtual,
    ...ref(pool.methodRef(sqliteConnection, 'setBusyTimeout', `(J)L${sqliteConnection};`)),
    op.pop,
    op.aload1,
    op.ldcW,
    ...ref(pool.string('PRAGMA wal_checkpoint(PASSIVE)')),
    op.invokevirtual,
    ...ref(exec),
    op.pop,
    op.getstatic,
    ...ref(pool.fieldRef('java/lang/System', 'out', 'Ljava/io/PrintStream;')),
    op.ldcW,
    ...ref(pool.string('ready')),
    op.invokevirtual,
    ...ref(pool.methodRef('java/io/PrintStream', 'println', '(Ljava/lang/String;)V')),
    op.getstatic,
    ...ref(pool.fieldRef('java/lang/System', 'in', 'Ljava/io/InputStream;')),
    op.invokevirtual,
    ...ref(pool.methodRef('java/io/InputStream', 'read', '()I')),
    op.pop,
    op.aload1,
    op.ldcW,
    ...ref(pool.string('PRAGMA wal_checkpoint(RESTART)')),
    op.invokevirtual,
    ...ref(pool.methodRef(sqliteConnection, 'prepare', `(Ljava/lang/String;)L${sqliteStatement};`)),
    op.astore2,
    op.aload2,
    op.invokevirtual,
    ...ref(pool.methodRef(sqliteStatement, 'step', '()Z')),
    op.pop,
    op.aload2,
    op.iconst0,
    op.invokevirtual,
    ...ref(pool.methodRef(sqliteStatement, 'columnInt', '(I)I')),
    op.istore3,
    op.aload2,
    op.invokevirtual,
    ...ref(pool.methodRef(sqliteStatement, 'dispose', '()V')),
    op.aload1,
    op.invokevirtual,
    ...ref(pool.methodRef(sqliteConnection, 'dispose', '()V')),
    op.iload3,
    op.invokestatic,
    ...ref(pool.methodRef('java/lang/System', 'exit', '(I)V')),
    op.return,
  ]);
  return classFile(pool, checkpointClassName, code, { maxStack: 6, maxLocals: 4 });
}
