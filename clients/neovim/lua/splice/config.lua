--- Options for splice.nvim: documented defaults, validation, and the LSP client config.
---
--- Bad options are reported once (vim.notify and :checkhealth splice) and
--- replaced by their defaults, so a typo never leaves the user without a client.
--- `settings` belongs to the language server: it is sent as given, and the
--- server validates it, applies its own defaults and names any bad value.
local M = {}

---@class (exact) splice.Options
---@field cmd string[]? Command that starts the language server; nil: derived from `python`
---@field python string? Interpreter for cmd, :SpliceRun, :SpliceKernel and health (3.10+)
---@field filetypes string[] Filetypes the client attaches to
---@field root_markers string[] Files that mark a project root
---@field settings table<string, any> Server settings (docs/settings.md), sent untouched
---@field notify boolean Show changes in the attached kernels with vim.notify
---@field kernel_cmd string[]? Command :SpliceKernel runs; nil: see launch()

---@class (exact) splice.SetupOptions
---@field cmd? string[]
---@field python? string
---@field filetypes? string[]
---@field root_markers? string[]
---@field settings? table<string, any>
---@field notify? boolean
---@field kernel_cmd? string[]

---@type splice.Options
M.defaults = {
  -- nil: { python, '-m', 'splice', 'lsp' } when `python` is set, else { 'splice', 'lsp' }.
  cmd = nil,
  python = nil,
  filetypes = { 'python' },
  -- Without one, the file's own directory is the root.
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git' },
  -- Empty: the server's defaults.
  settings = {},
  notify = true,
  kernel_cmd = nil,
}

---@param value any
---@return boolean
local function is_string_list(value)
  return vim.islist(value)
    and vim.iter(value):all(function(item)
      return type(item) == 'string'
    end)
end

---@param value any
---@return boolean
local function is_command(value)
  return is_string_list(value) and #value > 0
end

--- Each option's validator and, for function validators, what it expects.
---@type table<string, { [1]: vim.validate.Validator, [2]: boolean, [3]: string? }>
local option_specs = {
  cmd = { is_command, true, 'a non-empty list of strings' },
  python = { 'string', true },
  filetypes = { is_string_list, false, 'a list of strings' },
  root_markers = { is_string_list, false, 'a list of strings' },
  settings = { 'table', false },
  notify = { 'boolean', false },
  kernel_cmd = { is_command, true, 'a non-empty list of strings' },
}

local has_011 = vim.fn.has('nvim-0.11') == 1

--- vim.validate, returning its complaint instead of raising it.
---@param name string
---@param value any
---@param validator vim.validate.Validator
---@param optional boolean
---@param expected string?
---@return string? problem
local function check(name, value, validator, optional, expected)
  if optional and value == nil then
    return nil
  end
  local ok, problem
  if has_011 then
    ok, problem = pcall(vim.validate, name, value, validator, expected)
  else
    -- Neovim 0.10 has only the table form (deprecated from 0.11).
    ok, problem = pcall(vim.validate, { [name] = { value, validator, expected } })
  end
  if ok then
    return nil
  end
  return (tostring(problem):gsub('^[^\n]-:%d+: ', ''))
end

--- Merge `opts` over the defaults. Returns the options and a list of problems found.
---@param opts splice.SetupOptions|nil
---@return splice.Options options
---@return string[] problems
function M.merge(opts)
  local problems = {}
  local problem = check('setup() options', opts, 'table', true)
  if problem then
    table.insert(problems, problem)
    opts = nil
  end
  local options = vim.deepcopy(M.defaults)
  for key, value in pairs(opts or {}) do
    local spec = option_specs[key]
    if not spec then
      table.insert(problems, ('unknown option %s (ignored)'):format(tostring(key)))
    else
      problem = check(key, value, spec[1], spec[2], spec[3])
      if problem then
        table.insert(problems, problem .. ' (using the default)')
      else
        options[key] = vim.deepcopy(value)
      end
    end
  end
  return options, problems
end

--- The options in effect (defaults until setup() runs).
M.options = vim.deepcopy(M.defaults)
--- Problems found in the options given to setup(), for :checkhealth splice.
---@type string[]
M.problems = {}

---@param opts splice.SetupOptions|nil
---@return string[] problems
function M.set(opts)
  M.options, M.problems = M.merge(opts)
  return M.problems
end

---@param options splice.Options|nil
---@return string[]
function M.server_cmd(options)
  options = options or M.options
  if options.cmd then
    return vim.deepcopy(options.cmd)
  end
  if options.python then
    return { options.python, '-m', 'splice', 'lsp' }
  end
  return { 'splice', 'lsp' }
end

--- clients/neovim: this file is lua/splice/config.lua inside it.
---@return string
function M.plugin_root()
  local source = debug.getinfo(1, 'S').source:gsub('^@', '')
  local file = vim.fn.fnamemodify(source, ':p')
  return vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(file)))
end

--- The folder holding the splice package next to the plugin (server/ of the
--- checkout the plugin lives in), or nil when the plugin was copied elsewhere.
---@return string|nil
function M.splice_source()
  local server = vim.fn.simplify(vim.fs.joinpath(M.plugin_root(), '..', '..', 'server'))
  if vim.uv.fs_stat(vim.fs.joinpath(server, 'splice', '__init__.py')) then
    return server
  end
  return nil
end

--- The interpreter named by the options: `python`, or the X of a cmd `{ X, '-m', 'splice', ... }`.
---@param options splice.Options|nil
---@return string|nil
function M.configured_python(options)
  options = options or M.options
  if options.python then
    return options.python
  end
  local cmd = options.cmd
  if cmd and cmd[2] == '-m' and cmd[3] == 'splice' then
    return cmd[1]
  end
  return nil
end

---@class splice.Launch
---@field cmd string[] the job's command
---@field env table<string, string>|nil added to the job's environment
---@field python string|nil the interpreter to check first (nil: a configured command, trusted)

--- How to start `splice SUBCOMMAND ARGS...` (run, kernel) for a program.
---
--- A configured `cmd` that runs a splice executable (`{ 'splice', 'lsp' }`,
--- `{ 'uv', 'run', 'splice', 'lsp' }`) is used with `lsp` replaced. Otherwise
--- the interpreter (`python`, the one in cmd, else python3) runs `-m splice`
--- with the splice next to this plugin on PYTHONPATH, for that job only: the
--- agent needs only the standard library, so nothing has to be installed.
---@param subcommand string
---@param args string[]|nil
---@param options splice.Options|nil
---@return splice.Launch
function M.launch(subcommand, args, options)
  options = options or M.options
  local python = M.configured_python(options)
  if not python and options.cmd and options.cmd[#options.cmd] == 'lsp' then
    local cmd = vim.deepcopy(options.cmd)
    cmd[#cmd] = subcommand
    return { cmd = vim.list_extend(cmd, args or {}) }
  end
  python = python or 'python3'
  local cmd = vim.list_extend({ python, '-m', 'splice', subcommand }, args or {})
  local source = M.splice_source()
  local env = nil
  if source then
    local existing = vim.env.PYTHONPATH
    env = { PYTHONPATH = (existing and existing ~= '') and (source .. ':' .. existing) or source }
  end
  return { cmd = cmd, env = env, python = python }
end

---@param options splice.Options|nil
---@return string[]
function M.kernel_cmd(options)
  options = options or M.options
  if options.kernel_cmd then
    return vim.deepcopy(options.kernel_cmd)
  end
  return M.launch('kernel', {}, options).cmd
end

M.minimum_python = { 3, 10 }

--- Nil when `python` is 3.10 or newer; else the one message saying what to do.
---@param python string
---@return string|nil problem
function M.check_python(python)
  local minimum = table.concat(M.minimum_python, '.')
  local what_next = ("Set the python option of require('splice').setup() to a Python %s or newer;"):format(minimum)
    .. ' nothing needs to be installed into it.'
  if vim.fn.executable(python) ~= 1 then
    return ('splice: cannot run the Python interpreter %s: not found. %s'):format(python, what_next)
  end
  -- Valid in every Python, so that any interpreter answers.
  local script = "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"
  local ok, done = pcall(function()
    return vim.system({ python, '-c', script }, { text = true }):wait(15000)
  end)
  local major, minor = nil, nil
  if ok and done.code == 0 then
    major, minor = (done.stdout or ''):match('^(%d+)%.(%d+)$')
  end
  if not major then
    local detail = ok and vim.trim((done.stderr or '') .. ' (exit ' .. tostring(done.code) .. ')') or tostring(done)
    return ('splice: cannot run the Python interpreter %s: %s. %s'):format(python, detail, what_next)
  end
  major, minor = tonumber(major), tonumber(minor)
  if major < M.minimum_python[1] or (major == M.minimum_python[1] and minor < M.minimum_python[2]) then
    return ('splice: splice needs Python %s or newer, and %s is Python %d.%d. %s'):format(
      minimum,
      python,
      major,
      minor,
      what_next
    )
  end
  return nil
end

--- The project root of `bufnr`: the nearest root marker, else the file's directory.
---@param bufnr integer
---@param markers string[]|nil
---@return string|nil
function M.root_dir(bufnr, markers)
  local root = vim.fs.root(bufnr, markers or M.options.root_markers)
  if root then
    return root
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return nil
  end
  return vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(name, ':p')))
end

--- The server's settings as the user gave them; an empty table goes out as a
--- JSON object, not the empty array vim.json would make of it.
---@param settings table<string, any>
---@return table<string, any>
local function server_settings(settings)
  if next(settings) == nil then
    return vim.empty_dict()
  end
  return vim.deepcopy(settings)
end

--- The client configuration for vim.lsp.config / vim.lsp.start.
---@param options splice.Options|nil
---@return vim.lsp.Config
function M.lsp_config(options)
  options = options or M.options
  return {
    name = 'splice',
    cmd = M.server_cmd(options),
    filetypes = vim.deepcopy(options.filetypes),
    -- A function rather than root_markers: a file outside any project still
    -- gets a client (rooted at its directory), as kernels often run loose scripts.
    root_dir = function(bufnr, on_dir)
      local root = M.root_dir(bufnr, options.root_markers)
      if root then
        on_dir(root)
      end
    end,
    -- One source of truth: Neovim sends `settings` in workspace/didChangeConfiguration
    -- right after initializing, which would override different initializationOptions.
    settings = { splice = server_settings(options.settings) },
    before_init = function(params, client_config)
      params.initializationOptions = vim.tbl_get(client_config, 'settings', 'splice')
    end,
    handlers = {
      ['splice/status'] = function(...)
        return require('splice').on_status(...)
      end,
    },
    on_attach = function(client, bufnr)
      require('splice').show_live_markers(client, bufnr)
    end,
  }
end

return M
