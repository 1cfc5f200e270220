#!/usr/bin/env node
// Builds the libtorch addon (build/Release/hyperclone_torch.node) offline: cmake-js, plain cmake, or g++ alone.
// Not an installer: it never downloads anything; libtorch comes from LIBTORCH or the system (apt-get install libtorch-dev).
//
// Usage: node scripts/build-native.mjs [--mode auto|cmake-js|cmake|direct] [--jobs N] [--check]
//   --check: only look for libtorch and a C++ compiler (exit 0 when a build could start).
//   auto (default): cmake-js when it and cmake are present, else plain cmake, else direct g++.
//   LIBTORCH=<dir with share/cmake/Torch> picks a libtorch (e.g. a PyTorch wheel's torch/ dir).
//   NODE_API_INC, NODE_ADDON_API_DIR, TORCH_CXX11_ABI override header dirs and the C++ ABI (machines without npm);
//   HC_CXX_STD (e.g. c++20) fixes the C++ standard (direct mode otherwise tries c++17, then c++20).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(packageDir, 'build');
const output = join(buildDir, 'Release', 'hyperclone_torch.node');
const require = createRequire(join(packageDir, 'package.json'));

/** In the checkout (src/ is there) the build is an npm script; an installed package is rebuilt by npm. */
const REBUILD = existsSync(join(packageDir, 'src')) ? 'npm run build:native' : 'npm rebuild @hyperclone/backend-torch';
const HINT =
  'install libtorch (Debian: `apt-get install -y libtorch-dev cmake g++`) or set LIBTORCH to a directory holding ' +
  `share/cmake/Torch (e.g. \`python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))'\`), then run \`${REBUILD}\``;

function parseArgs(argv) {
  const args = { mode: 'auto', jobs: availableParallelism(), check: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--mode') args.mode = argv[++i];
    else if (argv[i] === '--check') args.check = true;
    else if (argv[i] === '--jobs') args.jobs = Number(argv[++i]);
    else fail(`unknown option ${argv[i]}; use --mode auto|cmake-js|cmake|direct, --jobs N and --check`);
  }
  if (!['auto', 'cmake-js', 'cmake', 'direct'].includes(args.mode))
    fail(`--mode must be auto, cmake-js, cmake or direct (got ${args.mode})`);
  return args;
}

function fail(message) {
  console.error(`build:native: ${message}`);
  process.exit(1);
}

function log(message) {
  console.log(`build:native: ${message}`);
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Where libtorch lives: its CMake config dir, headers, libraries, and the C++ ABI it was built with. */
function findLibtorch() {
  // a LIBTORCH that is set is the only place looked at: a wrong one is an error, not a silent fallback
  const candidates = [];
  if (process.env.LIBTORCH)
    candidates.push({ root: resolve(process.env.LIBTORCH), cmakeDir: join(resolve(process.env.LIBTORCH), 'share/cmake/Torch') });
  else for (const libDir of systemLibDirs()) candidates.push({ root: '/usr', cmakeDir: join(libDir, 'cmake/Torch'), libDir });
  const found = candidates.find((c) => existsSync(join(c.cmakeDir, 'TorchConfig.cmake')));
  if (!found) {
    const where = process.env.LIBTORCH
      ? `LIBTORCH=${process.env.LIBTORCH} has no share/cmake/Torch/TorchConfig.cmake`
      : 'no libtorch found';
    fail(`${where}; ${HINT}`);
  }
  const config = readFileSync(join(found.cmakeDir, 'TorchConfig.cmake'), 'utf8');
  // TORCH_CXX11_ABI (e.g. from python: int(torch._C._GLIBCXX_USE_CXX11_ABI)) wins over the CMake config's flag.
  const abi = process.env.TORCH_CXX11_ABI ?? /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(config)?.[1] ?? '1';
  return {
    cmakeDir: found.cmakeDir,
    prefixPath: process.env.LIBTORCH ? found.root : null,
    includeDirs: [join(found.root, 'include'), join(found.root, 'include/torch/csrc/api/include')],
    libDir: found.libDir ?? join(found.root, 'lib'),
    abi,
  };
}

function systemLibDirs() {
  const dirs = [];
  if (existsSync('/usr/lib')) {
    for (const name of readdirSync('/usr/lib')) if (name.endsWith('-linux-gnu')) dirs.push(join('/usr/lib', name));
  }
  dirs.push('/usr/lib', '/usr/local/lib');
  return dirs;
}

/** Node-API headers: NODE_API_INC, else the node-api-headers package (what cmake-js uses), else node's own include dir. */
function nodeApiInclude() {
  const fromEnv = process.env.NODE_API_INC;
  if (fromEnv && existsSync(join(fromEnv, 'node_api.h'))) return fromEnv;
  try {
    return dirname(require.resolve('node-api-headers/include/node_api.h'));
  } catch {
    const fromNode = resolve(dirname(process.execPath), '..', 'include', 'node');
    if (existsSync(join(fromNode, 'node_api.h'))) return fromNode;
    return fail('no Node-API headers (node_api.h): install node-api-headers, use a node with include/node, or set NODE_API_INC');
  }
}

/** node-addon-api's napi.h: NODE_ADDON_API_DIR, else the npm package. */
function nodeAddonApiDir() {
  const fromEnv = process.env.NODE_ADDON_API_DIR;
  if (fromEnv && existsSync(join(fromEnv, 'napi.h'))) return fromEnv;
  try {
    return dirname(require.resolve('node-addon-api/napi.h'));
  } catch {
    return fail('node-addon-api is missing: run `npm ci` first (or set NODE_ADDON_API_DIR to a dir holding napi.h)');
  }
}

function run(command, args, options = {}) {
  log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: packageDir, ...options });
  if (result.status !== 0) fail(`${command} failed (exit ${result.status ?? result.signal}); ${HINT}`);
}

function buildWithCmakeJs(torch, jobs) {
  const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  const extra = torch.prefixPath ? [`--CDLIBTORCH=${torch.prefixPath}`] : [];
  // package.json's binary.napi_versions makes cmake-js use node-api-headers instead of downloading node headers.
  run(process.execPath, [cmakeJs, 'build', '-d', packageDir, '-O', buildDir, '-p', String(jobs), ...extra]);
}

function buildWithCmake(torch, jobs) {
  const std = process.env.HC_CXX_STD ? [`-DCMAKE_CXX_STANDARD=${process.env.HC_CXX_STD.replace(/^c\+\+/, '')}`] : [];
  const args = [
    '-S',
    packageDir,
    '-B',
    buildDir,
    '-DCMAKE_BUILD_TYPE=Release',
    ...std,
    `-DNODE_API_INC=${nodeApiInclude()}`,
    `-DNODE_ADDON_API_DIR=${nodeAddonApiDir()}`,
  ];
  if (torch.prefixPath) args.push(`-DLIBTORCH=${torch.prefixPath}`);
  else args.push(`-DTorch_DIR=${torch.cmakeDir}`);
  run('cmake', args);
  run('cmake', ['--build', buildDir, '--parallel', String(jobs)]);
}

/** Sources that use ATen's inline OpenMP parallel_for (CMakeLists.txt sets the same flag on them). */
const OPENMP_SOURCES = ['attention-cpu.cpp', 'cpu-gemms.cpp'];

/** g++ alone, for machines without cmake (e.g. a GPU box with only a PyTorch wheel). */
async function buildDirect(torch, jobs) {
  const cxx = process.env.CXX ?? 'g++';
  const objDir = join(buildDir, 'direct');
  mkdirSync(objDir, { recursive: true });
  mkdirSync(dirname(output), { recursive: true });
  const flags = (std) => [
    `-std=${std}`,
    '-O2',
    '-fPIC',
    '-Wall',
    '-Wno-unused-parameter',
    `-D_GLIBCXX_USE_CXX11_ABI=${torch.abi}`,
    '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS',
    '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    '-DBUILDING_NODE_EXTENSION',
    `-I${nodeApiInclude()}`,
    `-I${nodeAddonApiDir()}`,
    ...torch.includeDirs.filter((d) => d !== '/usr/include').map((d) => `-isystem${d}`),
  ];
  const sources = readdirSync(join(packageDir, 'native'))
    .filter((f) => f.endsWith('.cpp'))
    .sort();
  // as CMakeLists.txt: the file that calls at::parallel_for compiles with OpenMP (not linked: libtorch's runtime serves it)
  const perFile = (src) => (OPENMP_SOURCES.includes(src) ? ['-fopenmp'] : []);
  const compile = (src, std, defines = []) =>
    spawnAsync(cxx, [...flags(std), ...perFile(src), ...defines, '-c', join(packageDir, 'native', src), '-o', join(objDir, `${src}.o`)]);
  // The first source doubles as a probe of the C++ standard the libtorch headers need (17, or 20 for newer releases).
  const stds = process.env.HC_CXX_STD ? [process.env.HC_CXX_STD] : ['c++17', 'c++20'];
  let std = null;
  for (const candidate of stds) {
    try {
      await compile(sources[0], candidate);
      std = candidate;
      break;
    } catch (e) {
      log(`${sources[0]} did not compile with -std=${candidate}${candidate === stds.at(-1) ? '' : '; retrying with the next standard'}`);
    }
  }
  if (!std) throw new Error(`${sources[0]} did not compile with ${stds.join(' or ')}`);
  const libs = ['torch', 'torch_cpu', 'c10', 'torch_cuda', 'c10_cuda'].filter((l) => existsSync(join(torch.libDir, `lib${l}.so`)));
  const linkFlags = [
    `-L${torch.libDir}`,
    '-Wl,--no-as-needed',
    ...libs.map((l) => `-l${l}`),
    '-Wl,--as-needed',
    `-Wl,-rpath,${torch.libDir}`,
  ];
  const defines = c10dDefines((name, extra) =>
    probeLinks(cxx, [...flags(std), ...extra], join(packageDir, 'native/probes', name), linkFlags, objDir),
  );
  // every source sees the same switches (they change class layouts), so the first is compiled again with them
  const queue = [...sources];
  const compileRest = async () => {
    for (let src = queue.shift(); src; src = queue.shift()) await compile(src, std, defines);
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, compileRest));
  run(cxx, [
    '-shared',
    '-o',
    output,
    ...sources.map((s) => join(objDir, `${s}.o`)),
    // --no-as-needed keeps libtorch_cuda loaded, which registers the CUDA kernels we never name directly.
    ...linkFlags,
  ]);
}

/**
 * The probed switches, as CMakeLists.txt decides them: HC_HAS_C10D where TCPStore and ProcessGroupGloo
 * compile and link, HC_HAS_NCCL where ProcessGroupNCCL does too (nccl.h from NCCL_INCLUDE_DIR or a wheel),
 * HC_HAS_CUDA_GRAPH where CUDA graphs and a fused AdamW with a tensor learning rate do.
 */
function c10dDefines(probe) {
  const c10d = probe('c10d.cpp', ['-DUSE_C10D_GLOO']);
  const ncclInclude = [
    process.env.NCCL_INCLUDE_DIR,
    process.env.LIBTORCH && join(resolve(process.env.LIBTORCH), '../nvidia/nccl/include'),
  ].find((d) => d && existsSync(join(d, 'nccl.h')));
  const cudaIncludes = [process.env.CUDA_HOME && join(process.env.CUDA_HOME, 'include'), '/usr/local/cuda/include']
    .concat(process.env.LIBTORCH ? wheelCudaIncludes(join(resolve(process.env.LIBTORCH), '../nvidia')) : [])
    .filter((d) => d && existsSync(d));
  const ncclFlags = ['-DUSE_C10D_NCCL', ...[ncclInclude, ...cudaIncludes].filter(Boolean).map((d) => `-isystem${d}`)];
  const nccl = c10d && probe('nccl.cpp', ncclFlags);
  // CUDA graphs of step programs (native/cuda-graph.cpp): CUDAGraph and the fused AdamW with a tensor rate
  const cudaFlags = cudaIncludes.map((d) => `-isystem${d}`);
  const graph = probe('cuda-graph.cpp', cudaFlags);
  log(`probes: c10d gloo ${c10d ? 1 : 0}, nccl ${nccl ? 1 : 0}, cuda graphs ${graph ? 1 : 0}`);
  const defines = [`-DHC_HAS_C10D=${c10d ? 1 : 0}`, `-DHC_HAS_NCCL=${nccl ? 1 : 0}`, `-DHC_HAS_CUDA_GRAPH=${graph ? 1 : 0}`];
  if (c10d) defines.push('-DUSE_C10D_GLOO');
  if (nccl) defines.push(...ncclFlags);
  if (graph && !nccl) defines.push(...cudaFlags);
  return defines;
}

/** A PyTorch wheel's CUDA headers: nvidia/cuda_runtime/include (CUDA 12 wheels) or any nvidia/<pkg>/include holding cuda_runtime_api.h (cu13). */
function wheelCudaIncludes(nvidia) {
  if (!existsSync(nvidia)) return [];
  return readdirSync(nvidia)
    .map((d) => join(nvidia, d, 'include'))
    .filter((d) => existsSync(join(d, 'cuda_runtime_api.h')));
}

/** True when a probe source compiles and links into an executable (its output is kept in a .log beside it). */
function probeLinks(cxx, compileFlags, source, linkFlags, objDir) {
  const name = source
    .split('/')
    .at(-1)
    .replace(/\.cpp$/, '');
  const result = spawnSync(cxx, [...compileFlags, source, '-o', join(objDir, `probe-${name}`), ...linkFlags], { encoding: 'utf8' });
  if (result.status !== 0) writeFileSync(join(objDir, `probe-${name}.log`), `${result.stdout}${result.stderr}`);
  return result.status === 0;
}

function spawnAsync(command, args) {
  log(`$ ${command} ... -c ${args.at(-3)}`);
  return new Promise((resolveDone, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', cwd: packageDir });
    child.on('exit', (code) => (code === 0 ? resolveDone() : reject(new Error(`${command} failed on ${args.at(-3)} (exit ${code})`))));
    child.on('error', reject);
  });
}

function chooseMode(requested) {
  if (requested !== 'auto') return requested;
  let cmakeJs = false;
  try {
    require.resolve('cmake-js/package.json');
    cmakeJs = true;
  } catch {}
  if (has('cmake') && cmakeJs) return 'cmake-js';
  if (has('cmake')) return 'cmake';
  return 'direct';
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!has(process.env.CXX ?? 'g++') && !has('c++')) fail(`no C++ compiler; ${HINT}`);
  const torch = findLibtorch();
  if (args.check) return log(`libtorch config ${torch.cmakeDir}: ready to build`);
  const mode = chooseMode(args.mode);
  log(`libtorch config ${torch.cmakeDir} (C++11 ABI ${torch.abi}); mode ${mode}, ${args.jobs} jobs`);
  const started = Date.now();
  if (mode === 'cmake-js') buildWithCmakeJs(torch, args.jobs);
  else if (mode === 'cmake') buildWithCmake(torch, args.jobs);
  else await buildDirect(torch, args.jobs).catch((e) => fail(`${e.message}; ${HINT}`));
  if (!existsSync(output)) fail(`the build finished but ${output} is missing`);
  log(`built ${output} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

await main();
