-- Drives headless Neovim with the set-up from lsp/nvim: open a file, collect diagnostics and a
-- hover, apply the removal code action, write the buffer. Results go to $FLAGLINT_OUT as JSON.
-- Any error ends Neovim with a non-zero exit (an uncaught Lua error would leave it hanging).
local function env(name)
  local value = os.getenv(name)
  assert(value, name .. ' is not set')
  return value
end
local WAIT = 30000

local function diagnostics(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(found, {
      line = d.lnum + 1,
      column = d.col + 1,
      code = d.code or lsp.code,
      message = d.message,
      source = d.source,
    })
  end
  return found
end

local function session()
  vim.cmd('filetype on')
  vim.opt.runtimepath:prepend(env('FLAGLINT_SETUP'))
  require('flaglint').setup({ cmd = vim.fn.json_decode(env('FLAGLINT_CMD')) })
  vim.cmd('edit ' .. vim.fn.fnameescape(env('FLAGLINT_FILE')))
  local buf = vim.api.nvim_get_current_buf()
  assert(vim.wait(WAIT, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20), 'no diagnostics arrived')
  local out = { diagnostics = diagnostics(buf) }

  local line, column = tonumber(env('FLAGLINT_LINE')), tonumber(env('FLAGLINT_COLUMN'))
  vim.api.nvim_win_set_cursor(0, { line, column - 1 })
  local hovers = vim.lsp.buf_request_sync(buf, 'textDocument/hover', vim.lsp.util.make_position_params(), WAIT)
  for _, reply in pairs(hovers or {}) do
    if reply.result then
      out.hover = reply.result.contents.value
    end
  end

  local params = vim.lsp.util.make_range_params()
  params.context = { diagnostics = {} }
  local replies = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, WAIT)
  out.actions = {}
  local chosen
  for _, reply in pairs(replies or {}) do
    for _, action in ipairs(reply.result or {}) do
      table.insert(out.actions, action.title)
      if action.title == env('FLAGLINT_ACTION') then
        chosen = action
      end
    end
  end
  assert(chosen, 'the removal action was not offered')
  if chosen.edit == nil then -- resolved on demand, as the client advertises
    local resolved = vim.lsp.buf_request_sync(buf, 'codeAction/resolve', chosen, WAIT)
    for _, reply in pairs(resolved or {}) do
      chosen = reply.result or chosen
    end
  end
  assert(chosen.edit, 'the removal action has no edit')
  vim.lsp.util.apply_workspace_edit(chosen.edit, 'utf-16')
  vim.cmd('write')
  assert(vim.wait(WAIT, function()
    for _, d in ipairs(diagnostics(buf)) do
      if d.code == 'FL003' then
        return false
      end
    end
    return true
  end, 20), 'the diagnostics were not re-published after the fix')
  out.after = diagnostics(buf)

  local file = assert(io.open(env('FLAGLINT_OUT'), 'w'))
  file:write(vim.fn.json_encode(out))
  file:close()
end

local ok, err = pcall(session)
if not ok then
  io.stderr:write('nvim session failed: ' .. tostring(err) .. '\n')
  vim.cmd('cquit 1')
end
vim.cmd('qall!')
