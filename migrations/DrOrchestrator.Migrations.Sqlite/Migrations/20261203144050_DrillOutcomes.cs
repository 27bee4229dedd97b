using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DrOrchestrator.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class DrillOutcomes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "BytesRestored",
                table: "DrillResults",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "Outcome",
                table: "DrillResults",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "");

            // Rows written before outcomes existed: a drill without mismatches passed.
            migrationBuilder.Sql("UPDATE \"DrillResults\" SET \"Outcome\" = CASE WHEN \"Mismatches\" = 0 THEN 'passed' ELSE 'failed' END;");

            migrationBuilder.AddColumn<double>(
                name: "RtoTargetSeconds",
                table: "DrillResults",
                type: "REAL",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "DrillMismatches",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DrillResultId = table.Column<long>(type: "INTEGER", nullable: false),
                    Path = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Expected = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    Actual = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DrillMismatches", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DrillMismatches_DrillResults_DrillResultId",
                        column: x => x.DrillResultId,
                        principalTable: "DrillResults",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_DrillMismatches_DrillResultId",
                table: "DrillMismatches",
                column: "DrillResultId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DrillMismatches");

            migrationBuilder.DropColumn(
                name: "BytesRestored",
                table: "DrillResults");

            migrationBuilder.DropColumn(
                name: "Outcome",
                table: "DrillResults");

            migrationBuilder.DropColumn(
                name: "RtoTargetSeconds",
                table: "DrillResults");
        }
    }
}
