-- flaglint for Neovim's built-in LSP client. Works on Neovim 0.7 (Debian 12), which has no
-- vim.lsp.start: one client per project root is started with vim.lsp.start_client and every
-- Python buffer of that root is attached with vim.lsp.buf_attach_client.
--
--   vim.opt.runtimepath:append('/path/to/flaglint/lsp/nvim')
--   require('flaglint').setup({})   -- options below; all optional
local M = {}

M.defaults = {
  cmd = { 'flaglint', 'lsp' },
  filetypes = { 'python' },
  -- Where a project starts: the nearest pyproject.toml with a [tool.flaglint] table, else the
  -- nearest of these, else the file's folder.
  root_markers = { 'flags.toml', 'pyproject.toml', '.git' },
  on_attach = nil,
  capabilities = nil,
  debounce_text_changes = 50,
}

local clients = {} -- project root -> client id

local function exists(path)
  return vim.loop.fs_stat(path) ~= nil
end

local function has_flaglint_table(pyproject)
  local file = io.open(pyproject, 'r')
  if not file then
    return false
  end
  local text = file:read('*a')
  file:close()
  return text:find('%[tool%.flaglint[%]%.]') ~= nil
end

local function parents(path)
  local dirs, dir = {}, vim.fn.fnamemodify(path, ':p:h')
  while true do
    table.insert(dirs, dir)
    local up = vim.fn.fnamemodify(dir, ':h')
    if up == dir then
      return dirs
    end
    dir = up
  end
end

function M.root_of(path, markers)
  local dirs = parents(path)
  for _, dir in ipairs(dirs) do
    if has_flaglint_table(dir .. '/pyproject.toml') then
      return dir
    end
  end
  for _, marker in ipairs(markers) do
    for _, dir in ipairs(dirs) do
      if exists(dir .. '/' .. marker) then
        return dir
      end
    end
  end
  return dirs[1]
end

function M.attach(bufnr, opts)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local root = M.root_of(name, opts.root_markers)
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client({
      name = 'flaglint',
      cmd = opts.cmd,
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
      on_attach = opts.on_attach,
      capabilities = opts.capabilities or vim.lsp.protocol.make_client_capabilities(),
      flags = { debounce_text_changes = opts.debounce_text_changes },
    })
    clients[root] = id
  end
  if id ~= nil then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

function M.setup(opts)
  opts = vim.tbl_deep_extend('force', M.defaults, opts or {})
  local group = vim.api.nvim_create_augroup('flaglint', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = opts.filetypes,
    callback = function(args)
      M.attach(args.buf, opts)
    end,
  })
  -- Buffers opened before setup ran.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(opts.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr, opts)
    end
  end
end

return M
